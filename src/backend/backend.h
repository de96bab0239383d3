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
#include <vector>

#include "core/client_stream.h"
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
  // SHA1(password) learnt at the client's login, for a user stored as a
  // mysql_native_password hash (see frontend's VerifiedUser); empty otherwise.
  std::string password_sha1;
};

// A client's prepared statement as its backend session runs it: prepared on
// whichever connection executes it, and again on a connection that has not
// seen its text, so that prepared statements do not pin a connection.
struct PreparedText {
  std::string text;    // what the backend prepares
  std::string schema;  // the client's schema when it prepared it: names resolve there
  uint16_t params = 0;
  std::string types;  // the parameter-types block (2 bytes each) the client last bound
  // COM_STMT_SEND_LONG_DATA payloads since the last execute or reset, sent
  // to the executing connection just before the execute.
  std::vector<std::string> long_data;
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
  asio::awaitable<Result<void>> forward(std::string_view command, ClientStream& client);

  // COM_STMT_PREPARE: forwards like forward(), and relays the answer with the
  // statement id replaced by `client_statement_id` (clients see the proxy's
  // ids, so that GENAI and backend statements share one id space). On
  // success (the server prepared it) `statement` holds its text and
  // parameter count; the session stays free to change connections.
  asio::awaitable<Result<void>> prepare(std::string_view command, uint32_t client_statement_id,
                                        ClientStream& client, PreparedText& statement);

  // COM_STMT_EXECUTE of `statement` (the client's packet, any statement id):
  // runs it on the connection that serves this statement, prepared there
  // first when that connection has not seen it (a re-prepare), with the
  // parameter types the client bound before and its long data; the answer
  // is relayed as forward() does.
  asio::awaitable<Result<void>> execute(PreparedText& statement, std::string packet,
                                        ClientStream& client);

  // The id of `statement` on the connection this session now holds (taking
  // one first), prepared there if needed: for a COM_STMT_EXECUTE the caller
  // then sends with send() and reads with read_part().
  asio::awaitable<Result<uint32_t>> statement_id(PreparedText& statement);

  // Runs one statement and collects its (first) result set, for
  // document_from_sql. Backend errors keep their code and SQLSTATE.
  asio::awaitable<Result<mysql::ResultSet>> query(std::string sql);

  // For responses the proxy rewrites (AI functions in SQL): send() writes one
  // COM_QUERY or COM_STMT_EXECUTE, then read_part() returns its response one
  // part at a time until the part that ends it (an OK or end of result
  // without MORE_RESULTS, or an ERR); that part also ends the statement for
  // the pool, pinning and status, as forward() does. A caller that stops
  // early calls discard_response(), which reads the rest (a transaction on
  // the connection survives).
  struct ResponsePart {
    enum class Kind { kOk, kError, kColumns, kRow, kEnd };
    Kind kind = Kind::kOk;
    std::string packet;                // the payload (kOk, kError, kRow, kEnd)
    std::vector<std::string> columns;  // kColumns: each definition's payload
    bool last = false;                 // this part ended the response
  };
  asio::awaitable<Result<void>> send(std::string_view command);
  asio::awaitable<Result<ResponsePart>> read_part();
  asio::awaitable<void> discard_response();

  // COM_STMT_PREPARE of `statement.text` whose answer the proxy rewrites
  // before the client sees it: the backend's answer as parts. On success the
  // statement is known to this connection's cache.
  struct PrepareAnswer {
    std::optional<std::string> error;  // the server's ERR payload
    uint32_t statement_id = 0;
    std::vector<std::string> params;   // definition payloads
    std::vector<std::string> columns;  // definition payloads
    uint16_t warnings = 0;
  };
  asio::awaitable<Result<PrepareAnswer>> prepare_answer(PreparedText& statement);

  // Whether this session currently pins a backend connection.
  bool pinned() const;

  // Of the last response relayed (forward, execute): rows sent and rows
  // affected, for stats_mysql_query_digest.
  struct Counts {
    uint64_t rows_sent = 0;
    uint64_t rows_affected = 0;
    std::optional<Error> error;  // the server's ERR, relayed as it was
  };
  Counts last_counts() const;

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
