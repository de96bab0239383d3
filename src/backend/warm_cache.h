// Per event loop: connections released a moment ago, still registered with
// that loop. Reusing one costs no system call, where the shared pool (bare
// descriptors) costs a deregistration and a registration. Lives in the
// io_context as a service, so its connections go when the loop goes.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/execution_context.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend/connection.h"

namespace gp::backend {

class WarmCache : public asio::execution_context::service {
 public:
  using key_type = WarmCache;
  static asio::execution_context::id id;

  explicit WarmCache(asio::execution_context& context);
  ~WarmCache() override;

  // The cache of the event loop `executor` belongs to; nullptr when the
  // executor is not an io_context's.
  static WarmCache* of(const asio::any_io_executor& executor);

  // A connection to `server` for `key`, created on `executor`: on `schema`
  // if one is, else on another (the caller switches it).
  // Entries past `max_age` (0: none) or idle for `idle_timeout`, or whose
  // server was retired or is not selectable, are closed on the way.
  std::unique_ptr<BackendConnection> take(const ServerPool* server, const ConnectionKey& key,
                                          const std::string& schema,
                                          const asio::any_io_executor& executor,
                                          Clock::duration max_age, Clock::duration idle_timeout);

  // For a server at its max_connections: a connection another loop keeps
  // warm (`key` null: of any key, to be closed to make room), for the
  // caller to move to its own loop. Thread-safe.
  static std::unique_ptr<BackendConnection> steal(const ServerPool* server,
                                                  const ConnectionKey* key,
                                                  const WarmCache* except);

  // Keeps `conn` when this loop holds fewer than `limit` connections of its
  // server; otherwise leaves `conn` untouched and returns false. (TLS
  // connections, which cannot join the shared pool, get a larger limit.)
  bool put(std::unique_ptr<BackendConnection>& conn, size_t limit = kPerServer);

  static constexpr size_t kPerServer = 4;

 private:
  void shutdown() override;
  void clear();

  std::mutex mutex_;  // uncontended: one thread runs each loop
  std::vector<std::unique_ptr<BackendConnection>> conns_;
};

}  // namespace gp::backend
