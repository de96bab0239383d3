#include "http/metrics_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <thread>

#include "core/listen_address.h"

namespace gp::http {

struct MetricsServer::Impl {
  Impl(ConfigStore& config, MetricsRegistry& metrics) : config(config), metrics(metrics) {}

  ConfigStore& config;
  MetricsRegistry& metrics;
  std::mutex mutex;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  std::string bound;  // "host:port" currently served, empty when off
  bool stopped = false;

  // Brings the listener in line with the snapshot. Caller holds `mutex`.
  void apply(const RuntimeConfig& snapshot) {
    std::string want;
    // The endpoint shares the host of the first admin interface (loopback by default).
    auto admin_addresses = parse_listen_addresses(snapshot.admin.mysql_ifaces);
    std::string host = admin_addresses ? admin_addresses->front().host : "127.0.0.1";
    if (snapshot.admin.restapi_enabled && !stopped) {
      want = host + ":" + std::to_string(snapshot.admin.restapi_port);
    }
    if (want == bound) return;
    shutdown();
    if (want.empty()) return;
    server = std::make_unique<httplib::Server>();
    server->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(render_prometheus(metrics), "text/plain; version=0.0.4");
    });
    server->Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{\"status\":\"ok\"}\n", "application/json");
    });
    if (!server->bind_to_port(host, snapshot.admin.restapi_port)) {
      spdlog::error("metrics endpoint: cannot listen on {}", want);
      server.reset();
      return;
    }
    bound = want;
    thread = std::thread([s = server.get()] { s->listen_after_bind(); });
    spdlog::info("metrics endpoint listening on http://{}/metrics", want);
  }

  void shutdown() {
    if (server) server->stop();
    if (thread.joinable()) thread.join();
    server.reset();
    bound.clear();
  }
};

MetricsServer::MetricsServer(ConfigStore& config, MetricsRegistry& metrics)
    : impl_(std::make_shared<Impl>(config, metrics)) {}

MetricsServer::~MetricsServer() {
  stop();
}

void MetricsServer::start() {
  std::weak_ptr<Impl> weak = impl_;
  impl_->config.subscribe([weak](const std::shared_ptr<const RuntimeConfig>& snapshot) {
    if (auto impl = weak.lock()) {
      std::lock_guard lock(impl->mutex);
      impl->apply(*snapshot);
    }
  });
  std::lock_guard lock(impl_->mutex);
  impl_->apply(*impl_->config.current());
}

void MetricsServer::stop() {
  std::lock_guard lock(impl_->mutex);
  impl_->stopped = true;
  impl_->shutdown();
}

}  // namespace gp::http
