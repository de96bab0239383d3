// Counters of the GenAI module (SPEC-GENAI §7), shown as the admin table
// stats_genai_global. Relaxed atomics only: written on hot paths by engine and
// network threads, read rarely.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "core/metrics.h"

namespace gp::genai {

struct GenaiStats {
  using Counter = std::atomic<uint64_t>;
  using Gauge = std::atomic<int64_t>;

  Gauge threads_running{0};
  Gauge requests_in_flight{0};  // admitted and not yet answered
  Gauge upstream_in_flight{0};  // HTTP transfers in the engines
  Counter requests_total{0};    // every GENAI: statement submitted
  Counter requests_completed{0};
  Counter requests_failed{0};
  Counter errors_invalid_request{0};
  Counter errors_unreachable{0};
  Counter errors_timeout{0};
  Counter errors_service{0};
  Counter errors_invalid_answer{0};
  Counter errors_unavailable{0};
  Counter errors_overloaded{0};
  Counter errors_backend{0};  // document_from_sql errors passed through
  Counter errors_input_too_long{0};
  Counter requests_cancelled{0};
  Counter embed_requests{0};
  Counter rerank_requests{0};
  Counter lexical_requests{0};
  Counter sql_document_requests{0};
  Counter documents_processed{0};
  Counter upstream_requests{0};
  Counter upstream_retries{0};    // attempts after a failed one
  Counter upstream_hedges{0};     // second attempts sent while the first was still waiting
  Counter batched_statements{0};  // embed statements that joined another's upstream request
  Counter bytes_sent{0};          // request bodies
  Counter bytes_received{0};      // answer bodies
  Counter upstream_connections_opened{0};
  Counter upstream_connections_reused{0};

  // Latency from submit to answer; bucket i counts requests <= kBucketsMs[i].
  static constexpr std::array<uint64_t, 10> kBucketsMs{1,   2,   5,    10,   50,
                                                       100, 500, 1000, 5000, 30000};
  std::array<Counter, kBucketsMs.size() + 1> latency_buckets{};
  Counter latency_sum_us{0};

  void count_error(uint16_t code);
  void observe_latency(std::chrono::steady_clock::duration elapsed);
  StatsTable table() const;
};

// Registers stats_genai_global (Variable_Name, Variable_Value).
void register_stats(MetricsRegistry& metrics, std::shared_ptr<const GenaiStats> stats);

}  // namespace gp::genai
