// The admin tables of the endpoints' health (SPEC-MODELS §3):
// stats_genai_endpoints, one row per model and endpoint, and its companion
// stats_genai_endpoint_latency, the attempt latency histogram (one row per
// endpoint and bucket, cumulative as Prometheus counts it; the metrics
// endpoint renders it as a histogram).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "genai/endpoint_health.h"

namespace gp::genai {

// The state names a DBA reads (online, cooling_down, probing) for the
// registry's (ready, cooling, probe_due, probing).
std::string endpoint_state_name(const std::string& registry_state);

StatsTable endpoints_table(const std::vector<EndpointStatus>& endpoints);
StatsTable endpoint_latency_table(const std::vector<EndpointStatus>& endpoints);

// Registers both tables; `read` gives the endpoints at the time of the read
// (any thread).
void register_endpoint_stats(MetricsRegistry& metrics,
                             std::function<std::vector<EndpointStatus>()> read);

}  // namespace gp::genai
