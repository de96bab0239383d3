#include "genai/endpoint_stats.h"

namespace gp::genai {
namespace {

std::vector<std::string> endpoint_columns() {
  std::vector<std::string> c = {"model", "uri", "state", "requests", "errors"};
  for (size_t i = 0; i < kErrorClasses; ++i) {
    c.push_back(std::string("errors_") + error_class_name(static_cast<ErrorClass>(i)));
  }
  for (const char* name :
       {"retries", "hedges", "in_flight", "consecutive_failures", "cooldown_remaining_ms",
        "latency_sum_ms", "last_error", "last_error_time"}) {
    c.emplace_back(name);
  }
  return c;
}

const std::vector<std::string> kLatencyColumns = {"model", "uri", "le_ms", "requests"};

}  // namespace

std::string endpoint_state_name(const std::string& state) {
  if (state == "ready") return "online";
  if (state == "cooling") return "cooling_down";
  // The cooldown is over and the next request is its probe, or the probe is
  // in flight: either way only a probe goes to it.
  return "probing";
}

StatsTable endpoints_table(const std::vector<EndpointStatus>& endpoints) {
  StatsTable t;
  t.columns = endpoint_columns();
  for (const auto& e : endpoints) {
    const auto& c = e.counters;
    std::vector<std::string> row = {e.model, e.uri, endpoint_state_name(e.state),
                                    std::to_string(c.requests), std::to_string(c.errors)};
    for (uint64_t n : c.errors_by_class) row.push_back(std::to_string(n));
    for (int64_t n : {static_cast<int64_t>(c.retries), static_cast<int64_t>(c.hedges), c.in_flight,
                      c.consecutive_failures, e.cooldown_remaining_ms,
                      static_cast<int64_t>(c.latency_sum_ms)}) {
      row.push_back(std::to_string(n));
    }
    row.push_back(e.last_error.what);
    row.push_back(std::to_string(e.last_error.unix_seconds));
    t.rows.push_back(std::move(row));
  }
  return t;
}

StatsTable endpoint_latency_table(const std::vector<EndpointStatus>& endpoints) {
  StatsTable t;
  t.columns = kLatencyColumns;
  for (const auto& e : endpoints) {
    uint64_t cumulative = 0;
    for (size_t b = 0; b < e.counters.latency_buckets.size(); ++b) {
      cumulative += e.counters.latency_buckets[b];
      std::string le = b < kEndpointLatencyBucketsMs.size()
                           ? std::to_string(kEndpointLatencyBucketsMs[b])
                           : std::string("+Inf");
      t.rows.push_back({e.model, e.uri, std::move(le), std::to_string(cumulative)});
    }
  }
  return t;
}

void register_endpoint_stats(MetricsRegistry& metrics,
                             std::function<std::vector<EndpointStatus>()> read) {
  metrics.register_table("stats_genai_endpoints", endpoint_columns(),
                         [read] { return endpoints_table(read()); });
  metrics.register_table("stats_genai_endpoint_latency", kLatencyColumns,
                         [read] { return endpoint_latency_table(read()); });
}

}  // namespace gp::genai
