// The HTTP endpoint for Prometheus metrics (GET /metrics) and health checks
// (GET /health), on admin-restapi_port when admin-restapi_enabled is true.
// It follows runtime changes of those variables.
#pragma once

#include <memory>
#include <string>

#include "core/config.h"
#include "core/metrics.h"

namespace gp::http {

// Renders every stats table in the Prometheus text format. Pure.
std::string render_prometheus(const MetricsRegistry& metrics);

class MetricsServer {
 public:
  MetricsServer(ConfigStore& config, MetricsRegistry& metrics);
  ~MetricsServer();
  void start();  // applies the current snapshot and follows later ones
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gp::http
