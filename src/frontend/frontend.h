// The front end: listeners for the client interface (mysql-interfaces) and the
// admin interface (admin-mysql_ifaces), network threads, and client sessions.
#pragma once

#include <memory>

#include "admin/admin.h"
#include "backend/backend.h"
#include "core/config.h"
#include "core/error.h"
#include "core/metrics.h"
#include "genai/engine.h"

namespace gp::frontend {

class Frontend {
 public:
  Frontend(ConfigStore& config, MetricsRegistry& metrics, admin::Admin& admin,
           genai::Engine& engine, backend::BackendManager& backends);
  ~Frontend();
  Frontend(const Frontend&) = delete;
  Frontend& operator=(const Frontend&) = delete;

  // Binds every listener and starts the network threads. Interfaces and
  // thread counts are read from the current snapshot (a change needs a
  // restart, as in ProxySQL). Fails with a message naming the address.
  Result<void> start();

  // Stops accepting, ends sessions and joins the threads. Pending completions
  // may still be posted until the object is destroyed.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gp::frontend
