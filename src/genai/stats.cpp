#include "genai/stats.h"

#include <string>

#include "genai/errors.h"

namespace gp::genai {

void GenaiStats::count_error(uint16_t code) {
  constexpr auto relaxed = std::memory_order_relaxed;
  switch (code) {
    case errc::kGenaiInvalidRequest:
      errors_invalid_request.fetch_add(1, relaxed);
      break;
    case errc::kGenaiServiceUnreachable:
      errors_unreachable.fetch_add(1, relaxed);
      break;
    case errc::kGenaiServiceTimeout:
      errors_timeout.fetch_add(1, relaxed);
      break;
    case errc::kGenaiServiceError:
      errors_service.fetch_add(1, relaxed);
      break;
    case errc::kGenaiInvalidAnswer:
      errors_invalid_answer.fetch_add(1, relaxed);
      break;
    case errc::kGenaiUnavailable:
      errors_unavailable.fetch_add(1, relaxed);
      break;
    case errc::kGenaiOverloaded:
      errors_overloaded.fetch_add(1, relaxed);
      break;
    case errc::kGenaiInputTooLong:
      errors_input_too_long.fetch_add(1, relaxed);
      break;
    case errc::kGenaiCancelled:
      requests_cancelled.fetch_add(1, relaxed);
      break;
    default:
      errors_backend.fetch_add(1, relaxed);
      break;
  }
}

void GenaiStats::observe_latency(std::chrono::steady_clock::duration elapsed) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  uint64_t micros = us < 0 ? 0 : static_cast<uint64_t>(us);
  latency_sum_us.fetch_add(micros, std::memory_order_relaxed);
  size_t i = 0;
  while (i < kBucketsMs.size() && micros > kBucketsMs[i] * 1000) ++i;
  latency_buckets[i].fetch_add(1, std::memory_order_relaxed);
}

StatsTable GenaiStats::table() const {
  StatsTable t;
  auto add = [&](const char* name, const auto& value) {
    t.rows.push_back({name, std::to_string(value.load(std::memory_order_relaxed))});
  };
  add("threads_running", threads_running);
  add("requests_in_flight", requests_in_flight);
  add("upstream_in_flight", upstream_in_flight);
  add("requests_total", requests_total);
  add("requests_completed", requests_completed);
  add("requests_failed", requests_failed);
  add("errors_invalid_request", errors_invalid_request);
  add("errors_unreachable", errors_unreachable);
  add("errors_timeout", errors_timeout);
  add("errors_service", errors_service);
  add("errors_invalid_answer", errors_invalid_answer);
  add("errors_unavailable", errors_unavailable);
  add("errors_overloaded", errors_overloaded);
  add("errors_backend", errors_backend);
  add("errors_input_too_long", errors_input_too_long);
  add("requests_cancelled", requests_cancelled);
  add("embed_requests", embed_requests);
  add("rerank_requests", rerank_requests);
  add("lexical_requests", lexical_requests);
  add("sql_document_requests", sql_document_requests);
  add("documents_processed", documents_processed);
  add("upstream_requests", upstream_requests);
  add("upstream_retries", upstream_retries);
  add("upstream_hedges", upstream_hedges);
  add("batched_statements", batched_statements);
  add("bytes_sent", bytes_sent);
  add("bytes_received", bytes_received);
  add("upstream_connections_opened", upstream_connections_opened);
  add("upstream_connections_reused", upstream_connections_reused);
  add("latency_sum_us", latency_sum_us);
  // Cumulative, as Prometheus histograms count "less than or equal".
  uint64_t cumulative = 0;
  for (size_t i = 0; i < latency_buckets.size(); ++i) {
    cumulative += latency_buckets[i].load(std::memory_order_relaxed);
    std::string name = i < kBucketsMs.size() ? "latency_le_" + std::to_string(kBucketsMs[i]) + "ms"
                                             : std::string("latency_le_inf");
    t.rows.push_back({name, std::to_string(cumulative)});
  }
  return t;
}

void register_stats(MetricsRegistry& metrics, std::shared_ptr<const GenaiStats> stats) {
  metrics.register_table("stats_genai_global", {"Variable_Name", "Variable_Value"},
                         [stats] { return stats->table(); });
}

}  // namespace gp::genai
