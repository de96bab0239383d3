#include "backend/backends.h"

namespace gp::backend {

BackendManager::BackendManager(ConfigStore& config, MetricsRegistry& metrics)
    : impl_(std::make_unique<Impl>()) {
  impl_->backends = std::make_shared<Backends>(config);
  impl_->backends->register_stats(metrics);
  // The store outlives nothing in particular: listen through a weak pointer.
  config.subscribe([weak = std::weak_ptr<Backends>(impl_->backends)](
                       const std::shared_ptr<const RuntimeConfig>& snapshot) {
    if (auto backends = weak.lock()) backends->apply(*snapshot);
  });
}

BackendManager::~BackendManager() {
  stop();
}

void BackendManager::remember_version_in(const std::string& file) {
  impl_->backends->remember_version_in(file);
}

std::string BackendManager::server_version() const {
  return impl_->backends->server_version();
}

std::string BackendManager::advertised_version(const std::string& configured) const {
  if (configured != "auto") return configured;
  std::string learnt = server_version();
  return learnt.empty() ? "8.0.36" : learnt;
}

void BackendManager::stop() {
  impl_->backends->stop();
}

}  // namespace gp::backend
