// The process-wide state behind BackendManager: the servers of the runtime
// snapshot grouped by hostgroup, connection checkout and return, the janitor
// that ages idle connections out, and the global counters. Shared (by
// shared_ptr) with sessions and the coroutines they leave behind.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backend/backend.h"
#include "backend/connection.h"
#include "backend/server_pool.h"
#include "core/config.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/snapshot_ptr.h"

namespace gp::backend {

struct GlobalCounters {
  std::atomic<uint64_t> questions{0};
  std::atomic<uint64_t> backend_query_time_nsec{0};
  std::atomic<uint64_t> get_conn_success{0};
  std::atomic<uint64_t> get_conn_failure{0};
  std::atomic<uint64_t> get_conn_immediate{0};
  std::atomic<uint64_t> connections_created{0};
  std::atomic<uint64_t> connections_aborted{0};
  std::atomic<uint64_t> connections_reset{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> bytes_recv{0};
  std::atomic<uint64_t> query_timeouts{0};
  std::atomic<uint64_t> backend_lost{0};
  std::atomic<uint64_t> sessions_pinned{0};
  std::atomic<uint64_t> state_applies{0};  // SETs that gave a connection a client's settings
  std::atomic<uint64_t> reprepares{0};     // statements prepared again on another connection
};

// How long a pooled connection may stay idle before it is closed.
inline constexpr std::chrono::minutes kIdleTimeout{5};
// How long idle connections beyond mysql-free_connections_pct may rest
// before the janitor closes them.
inline constexpr std::chrono::seconds kTrimAfter{10};

class Backends : public std::enable_shared_from_this<Backends> {
 public:
  using ServerList = std::vector<std::shared_ptr<ServerPool>>;

  explicit Backends(ConfigStore& config);
  ~Backends();

  // Follows the snapshot: new servers are added, changed ones updated, removed
  // ones retired. Safe from any thread.
  void apply(const RuntimeConfig& config);
  std::shared_ptr<const ServerList> servers() const { return servers_.load(); }
  MysqlSettings settings() const { return config_.current()->mysql; }

  // A connection for `user` on `schema`, on `executor`: an idle one from the
  // pool (switched to `schema` if needed) or a new one, from a server of the
  // user's default hostgroup chosen by weight among those ONLINE. Servers
  // that cannot be reached are SHUNNED and the next one is tried.
  asio::awaitable<Result<std::unique_ptr<BackendConnection>>> acquire(
      asio::any_io_executor executor, const MysqlUser& user, const ClientInfo& client,
      const std::string& schema);

  // Gives a connection back: pooled when it is clean, its server healthy and
  // the pool not over its idle quota; closed otherwise.
  void release(std::unique_ptr<BackendConnection> conn);

  // Asks the server to kill the connection `thread_id` (after a query
  // timeout), on a short-lived connection of its own. Fire and forget.
  void kill_connection(asio::any_io_executor executor, const ConnectionState& state,
                       const MysqlUser& user, std::string_view password_sha1);

  void register_stats(MetricsRegistry& metrics);
  StatsTable connection_pool_table() const;
  StatsTable global_table() const;

  // The version a backend announced in its greeting (the latest learnt, or
  // the one saved in `file` by an earlier run); empty while none is known.
  void remember_version_in(std::filesystem::path file);
  std::string server_version() const;
  void learn_server_version(const std::string& version);

  void stop();
  bool stopped() const { return stopped_.load(); }
  GlobalCounters& counters() { return counters_; }

  // The TLS context for use_ssl servers, built from mysql-ssl_p2s_* and
  // rebuilt when they change. Fails naming an unreadable file.
  Result<std::shared_ptr<asio::ssl::context>> tls_context(const MysqlSettings& settings);

 private:
  void janitor_loop();
  // Reads the greeting of ONLINE servers until one tells its version.
  void probe_version(std::unique_lock<std::mutex>& lock);

  ConfigStore& config_;
  SnapshotPtr<const ServerList> servers_;
  std::mutex apply_mutex_;
  GlobalCounters counters_;
  std::atomic<bool> stopped_{false};
  std::mutex janitor_mutex_;
  std::condition_variable janitor_cv_;
  std::thread janitor_;
  mutable std::mutex version_mutex_;
  std::string version_;
  std::filesystem::path version_file_;
  std::mutex tls_mutex_;
  std::string tls_files_;  // ca, cert and key the context was built from
  std::shared_ptr<asio::ssl::context> tls_context_;
};

struct BackendManager::Impl {
  std::shared_ptr<Backends> backends;
};

}  // namespace gp::backend
