// Backends: MySQL/MariaDB servers grouped in hostgroups, a connection pool per
// server, and the per-client forwarding of ordinary statements.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/config.h"
#include "core/error.h"
#include "core/metrics.h"
#include "mysql/resultset.h"

namespace gp::backend {

// Process-wide: servers of the runtime snapshot, pools, health (SHUNNED and
// recovery), stats tables stats_mysql_connection_pool and stats_mysql_global.
class BackendManager {
 public:
  BackendManager(ConfigStore& config, MetricsRegistry& metrics);
  ~BackendManager();
  BackendManager(const BackendManager&) = delete;
  BackendManager& operator=(const BackendManager&) = delete;

  void stop();  // closes idle connections; sessions still running get errors

  // The backends' server version as learnt from a greeting, kept in `file`
  // for the next start; empty while none is known. Thread-safe.
  void remember_version_in(const std::string& file);
  std::string server_version() const;
  // The version greetings announce: `configured` (mysql-server_version), or
  // with "auto" the backends' own, 8.0.36 while none is known. Drivers choose
  // their dialect from it: Connector/J asks a MySQL 8 for
  // @@transaction_isolation, which MariaDB lacks.
  std::string advertised_version(const std::string& configured) const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// What the front end learned about its client during the handshake.
struct ClientInfo {
  std::string username;
  uint32_t capabilities = 0;  // negotiated with the client
  uint8_t charset = 45;
  std::string database;  // current schema (CONNECT_WITH_DB or COM_INIT_DB)
};

// One per client session, used only from that session's executor. Holds the
// backend connection while session state requires it (transaction, temporary
// tables, user variables, locks...); otherwise returns it to the pool after
// each statement.
class BackendSession {
 public:
  BackendSession(BackendManager& manager, asio::any_io_executor executor, const MysqlUser& user,
                 ClientInfo client);
  ~BackendSession();

  // Sends one client command (the whole payload: command byte + arguments,
  // received with sequence id 0) to a backend and relays the complete response
  // to `client` as it arrives, packet by packet, never buffering a whole result.
  // On failure before anything was relayed, returns the error for the caller to
  // send; after a partial relay, closes nothing but returns kBackendLost so the
  // caller ends the client session.
  asio::awaitable<Result<void>> forward(std::string_view command, asio::ip::tcp::socket& client);

  // COM_STMT_PREPARE: forwards like forward(), and relays the answer with the
  // statement id replaced by `client_statement_id` (clients see the proxy's
  // ids, so that GENAI and backend statements share one id space). Returns
  // the backend's id, or nothing when the server refused the statement.
  asio::awaitable<Result<std::optional<uint32_t>>> prepare(std::string_view command,
                                                           uint32_t client_statement_id,
                                                           asio::ip::tcp::socket& client);

  // Runs one statement and collects its (first) result set, for
  // document_from_sql. Backend errors keep their code and SQLSTATE.
  asio::awaitable<Result<mysql::ResultSet>> query(std::string sql);

  // Whether this session currently pins a backend connection.
  bool pinned() const;

  // The transaction bits (IN_TRANS, AUTOCOMMIT, IN_TRANS_READONLY) and
  // NO_BACKSLASH_ESCAPES of the last status a backend reported to this
  // session; nothing before its first answer. Answers the proxy writes
  // itself carry these, so that drivers track the transaction correctly.
  std::optional<uint16_t> session_status() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gp::backend
