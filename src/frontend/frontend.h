// The front end: listeners for the client interface (mysql-interfaces) and the
// admin interface (admin-mysql_ifaces), network threads, and client sessions.
#pragma once

#include <chrono>
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

  // PROXYSQL PAUSE (true): closes the client listeners, sessions go on;
  // PROXYSQL RESUME (false): binds them again. Called from the admin thread.
  Result<void> pause_listeners(bool pause);

  // Closes the listeners; sessions already open go on.
  void stop_accepting();

  // Waits up to `grace` for GENAI: statements in flight to be answered (stop
  // the engine first: it fails them with 9106), then ends every session and
  // joins the threads. Pending completions may still be posted until the
  // object is destroyed.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(0));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gp::frontend
