// BackendSession's state, shared by session.cpp (forward), relay.cpp and
// query.cpp. Thread affinity: the session's executor.
#pragma once

#include <asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>

#include "backend/backend.h"
#include "backend/backends.h"
#include "backend/connection.h"
#include "backend/response_tracker.h"
#include "backend/statement.h"

namespace gp::backend {

// What a finished statement told about the connection's state.
struct StatementOutcome {
  bool ok = true;                  // no ERR
  std::optional<uint16_t> status;  // from the last OK/EOF, when there was one
  uint64_t last_insert_id = 0;
  uint16_t warnings = 0;
};

// How the raw relay of one response ended.
struct RelayResult {
  std::error_code backend_error;  // reading from the backend failed (lost or timed out)
  std::error_code client_error;   // writing to the client failed
  bool relayed = false;           // some bytes reached the client
  uint64_t bytes = 0;             // bytes received from the backend
  std::optional<uint32_t> backend_statement_id;  // of a COM_STMT_PREPARE answer
  uint16_t backend_statement_params = 0;
};

// Relays the response `tracker` follows from `conn` to `client`, chunk by
// chunk, until it is complete or something fails. With `client_statement_id`
// (a COM_STMT_PREPARE answer), the statement id the backend chose is reported
// and replaced by that one on the way.
asio::awaitable<RelayResult> relay_response(BackendConnection& conn, ResponseTracker& tracker,
                                            ClientStream& client,
                                            std::optional<uint32_t> client_statement_id = {});

// Whether `packet`, read where a row could be, ends the rows (EOF, or OK
// with DEPRECATE_EOF: 0xfe and shorter than a full frame).
bool ends_result(std::string_view packet);
// The status, last insert id and warnings of an OK or EOF that ends a response.
void read_status(std::string_view packet, uint32_t caps, StatementOutcome& outcome);

// Reads a response to COM_QUERY and keeps its first result set.
struct CollectedResult {
  mysql::ResultSet result;
  StatementOutcome outcome;
  std::optional<Error> server_error;
};
asio::awaitable<Result<CollectedResult>> collect_result(BackendConnection& conn);

// Whether `sql` is a COMMIT or ROLLBACK (which leave no snapshot open).
bool ends_transaction(std::string_view sql);

// Prepared statements a connection keeps, by text, most recently used kept.
inline constexpr size_t kStatementsPerConnection = 128;
// Records a statement prepared on the connection; past the limit the least
// recently used one is queued for COM_STMT_CLOSE (`pending_close`).
void remember_statement(ConnectionState& state, std::string text, CachedStatement statement);

struct BackendSession::Impl {
  std::shared_ptr<Backends> backends;
  asio::any_io_executor executor;
  MysqlUser user;
  ClientInfo client;
  std::string schema;
  std::unique_ptr<BackendConnection> conn;
  bool pinned = false;
  bool held_for_next = false;  // kept for the next statement only (warnings, a generated id)
  std::optional<uint16_t> session_status;  // see BackendSession::session_status()
  BackendSession::Counts last_counts;      // see BackendSession::last_counts()
  // Set by prepare() around its forward(): the client's id for the statement,
  // and the backend's id once the answer has been relayed.
  std::optional<uint32_t> client_statement_id;
  std::optional<uint32_t> backend_statement_id;
  uint16_t backend_statement_params = 0;
  // The tracked session settings the client made (session_state.h): every
  // connection that serves it gets them first.
  TrackedState tracked;
  uint64_t id = 0;  // unique per session, for ConnectionState::last_session
  // The response send() started and read_part() follows.
  struct Reading {
    uint8_t command = 0;
    std::string argument;  // COM_QUERY's text
    StatementTraits traits;
    uint8_t seq = 1;
    bool in_rows = false;
    Clock::time_point started;
  };
  std::optional<Reading> reading;
  // Set when the connection that held this session's state died: a direct
  // client would have lost its connection, so every later statement fails.
  std::optional<Error> lost;

  // Takes a connection when none is held, and gives it the client's tracked
  // settings (one SET of what differs).
  asio::awaitable<Result<void>> ensure_connection();
  // A prepared statement on the held connection: from its cache, or
  // prepared there now (`answer` receives the definitions when asked for).
  asio::awaitable<Result<uint32_t>> statement_on_connection(
      PreparedText& statement, BackendSession::PrepareAnswer* answer = nullptr);
  // After a tracked SET succeeded on the held connection: reads back the
  // values the server computed and records the settings. False when they
  // could not be read (the session then keeps the connection).
  asio::awaitable<bool> record_settings(const std::vector<TrackedAssignment>& assignments);
  bool mariadb() const;
  // Where a statement is found in a connection's cache: its text, the schema
  // it was prepared in, and the settings that change how it parses
  // (sql_mode, character set), so that sessions never share a statement
  // that would mean something else to them.
  std::string statement_key(const PreparedText& statement) const;
  sql::LexOptions lex_options() const;
  // Updates schema, pinning and transaction state after a statement, and
  // returns the connection to the pool when nothing ties it to this client.
  void after_statement(uint8_t command, std::string_view argument, const StatementTraits& traits,
                       const StatementOutcome& outcome, bool tracked_set = false);
  // Answers a LOCAL INFILE request of the server (see session.cpp).
  asio::awaitable<Result<void>> refuse_local_infile(ResponseTracker& tracker, bool relayed,
                                                    ClientStream& client_socket);
  // A statement failed on the connection (lost, timed out, malformed answer).
  asio::awaitable<Result<void>> fail_statement(Error err, bool relayed,
                                               std::optional<uint8_t> err_seq,
                                               ClientStream& client_socket);
  // The held connection failed: closes it and remembers whether state was lost.
  void connection_failed();
  std::string server_name() const;
  std::chrono::milliseconds query_timeout() const;
};

}  // namespace gp::backend
