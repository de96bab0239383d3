#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "core/coroutine_warnings.h"
#include "backend/session_impl.h"
#include "mysql/messages.h"
#include "mysql/packet.h"
#include "mysql/protocol.h"

namespace gp::backend {

namespace {

using mysql::Command;
namespace status = mysql::status;

bool is(uint8_t command, Command c) {
  return command == static_cast<uint8_t>(c);
}

// Pinned connections are cleaned with COM_RESET_CONNECTION (which also rolls
// back an open transaction) before another client may have them.
asio::awaitable<void> reset_and_release(std::shared_ptr<Backends> backends,
                                        std::unique_ptr<BackendConnection> conn) {
  conn->deadline().arm(std::chrono::milliseconds(backends->settings().connect_timeout_server_ms),
                       conn->socket());
  const std::string reset(1, static_cast<char>(Command::kResetConnection));
  auto answer = co_await conn->simple_command(reset);
  conn->deadline().disarm();
  if (!answer || !mysql::is_ok_packet(*answer)) co_return;  // the connection closes
  auto ok = mysql::parse_ok(*answer, conn->state().capabilities);
  conn->state().status_flags = ok ? ok->status_flags : status::kAutocommit;
  // Servers differ on whether a reset keeps the current schema: the next
  // user switches it explicitly.
  conn->state().schema_known = false;
  backends->counters().connections_reset.fetch_add(1);
  backends->release(std::move(conn));
}

}  // namespace

BackendSession::BackendSession(BackendManager& manager, asio::any_io_executor executor,
                               const MysqlUser& user, ClientInfo client)
    : impl_(std::make_unique<Impl>()) {
  impl_->backends = manager.impl().backends;
  impl_->executor = std::move(executor);
  impl_->user = user;
  impl_->client = std::move(client);
  impl_->schema = impl_->client.database.empty() ? user.default_schema : impl_->client.database;
}

BackendSession::~BackendSession() {
  auto& s = *impl_;
  if (!s.conn) return;
  bool clean = !s.pinned && !(s.conn->state().status_flags & status::kInTrans);
  if (clean || !s.conn->usable() || s.backends->stopped()) {
    s.backends->release(std::move(s.conn));
    return;
  }
  asio::co_spawn(s.executor, reset_and_release(s.backends, std::move(s.conn)), asio::detached);
}

bool BackendSession::pinned() const {
  return impl_->pinned;
}

std::optional<uint16_t> BackendSession::session_status() const {
  return impl_->session_status;
}

std::string BackendSession::Impl::server_name() const {
  if (!conn || !conn->state().server) return "backend";
  auto cfg = conn->state().server->config();
  return cfg.hostname + ":" + std::to_string(cfg.port);
}

std::chrono::milliseconds BackendSession::Impl::query_timeout() const {
  int ms = backends->settings().default_query_timeout_ms;
  return std::chrono::milliseconds(ms > 0 ? ms : 36000000);
}

asio::awaitable<Result<void>> BackendSession::Impl::ensure_connection() {
  if (lost) co_return std::unexpected(*lost);
  if (conn) co_return Result<void>{};
  auto acquired = co_await backends->acquire(executor, user, client, schema);
  if (!acquired) co_return std::unexpected(acquired.error());
  conn = std::move(*acquired);
  co_return Result<void>{};
}

void BackendSession::Impl::connection_failed() {
  bool held_state = pinned || (conn && (conn->state().status_flags & status::kInTrans));
  if (conn) conn->mark_broken();
  conn.reset();
  if (held_state) {
    lost =
        Error::make(errc::kBackendLost,
                    "Lost connection to the backend server that held this session's state "
                    "(transaction, variables, temporary tables or prepared statements); reconnect");
  }
}

void BackendSession::Impl::after_statement(uint8_t command, std::string_view argument,
                                           const StatementTraits& traits,
                                           const StatementOutcome& outcome) {
  auto& state = conn->state();
  if (outcome.status) {
    state.status_flags = *outcome.status;
    constexpr uint16_t kSessionBits = status::kInTrans | status::kAutocommit |
                                      status::kInTransReadonly | status::kNoBackslashEscapes;
    session_status = *outcome.status & kSessionBits;
  }
  bool schema_change = false;
  if (outcome.ok) {
    if (is(command, Command::kInitDb)) {
      schema = std::string(argument);
      schema_change = true;
    } else if (traits.use_schema) {
      schema = *traits.use_schema;
      schema_change = true;
    }
    if (schema_change) {
      state.schema = schema;
      state.schema_known = true;
    }
    if (is(command, Command::kResetConnection)) pinned = false;
  }
  bool state_changed = outcome.status && (*outcome.status & status::kSessionStateChanged);
  bool pin = traits.pins || is(command, Command::kStmtPrepare) ||
             is(command, Command::kSetOption) || outcome.last_insert_id != 0 ||
             outcome.warnings > 0 || (state_changed && !schema_change) ||
             (outcome.status && !(*outcome.status & status::kAutocommit));
  if (pin && !pinned && !is(command, Command::kResetConnection)) {
    pinned = true;
    backends->counters().sessions_pinned.fetch_add(1);
  }
  if (!pinned && !(state.status_flags & status::kInTrans)) backends->release(std::move(conn));
}

asio::awaitable<Result<void>> BackendSession::forward(std::string_view command,
                                                      asio::ip::tcp::socket& client) {
  auto& s = *impl_;
  if (command.empty()) {
    co_return make_error(errc::kMalformedPacket, "Malformed packet: empty command");
  }
  uint8_t cmd = static_cast<uint8_t>(command[0]);
  if (is(cmd, Command::kQuit)) {
    // The connection is not the client's to close: it goes back (or is reset).
    if (s.conn && !s.pinned && !(s.conn->state().status_flags & status::kInTrans)) {
      s.backends->release(std::move(s.conn));
    }
    co_return Result<void>{};
  }
  if (s.lost) co_return std::unexpected(*s.lost);
  auto shape = response_shape(cmd);
  if (!shape) {
    co_return make_error(errc::kUnknownCommand,
                         "Command " + std::to_string(cmd) + " is not supported by genaiproxy");
  }
  bool statement_command = is(cmd, Command::kStmtExecute) || is(cmd, Command::kStmtFetch) ||
                           is(cmd, Command::kStmtClose) || is(cmd, Command::kStmtReset) ||
                           is(cmd, Command::kStmtSendLongData);
  if (statement_command && !s.pinned) {
    // No prepared statement exists on any connection this client could use.
    if (*shape == ResponseShape::kNone) co_return Result<void>{};
    co_return make_error(errc::kUnknownStatementHandler,
                         "Unknown prepared statement handler given to genaiproxy");
  }
  if (is(cmd, Command::kStmtExecute) && command.size() > 5 && command[5] != 0) {
    co_return make_error(errc::kNotSupported,
                         "Cursors (COM_STMT_EXECUTE with a cursor type) are not supported by "
                         "genaiproxy");
  }
  StatementTraits traits;
  if (is(cmd, Command::kQuery)) traits = classify_statement(command.substr(1));

  if (auto ready = co_await s.ensure_connection(); !ready) co_return ready;
  auto& conn = *s.conn;
  auto& counters = s.backends->counters();
  auto server = conn.state().server;
  counters.questions.fetch_add(1);
  counters.bytes_sent.fetch_add(command.size() + 4);
  if (server) {
    server->counters().queries.fetch_add(1);
    server->counters().bytes_sent.fetch_add(command.size() + 4);
  }
  auto started = Clock::now();
  conn.deadline().arm(s.query_timeout(), conn.socket());
  // The answer's first sequence id follows the command's last frame.
  auto first_answer_seq = static_cast<uint8_t>(command.size() / mysql::kMaxPacketPayload + 1);
  if (co_await conn.send_command(command)) {
    counters.backend_lost.fetch_add(1);
    Error err =
        Error::make(errc::kBackendUnavailable, "Lost connection to backend server " +
                                                   s.server_name() + " while sending the query");
    co_return co_await s.fail_statement(std::move(err), false, first_answer_seq, client);
  }
  ResponseTracker tracker(*shape, conn.state().capabilities);
  auto relay = co_await relay_response(conn, tracker, client, s.client_statement_id);
  s.backend_statement_id = relay.backend_statement_id;
  conn.deadline().disarm();
  auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started);
  counters.backend_query_time_nsec.fetch_add(static_cast<uint64_t>(elapsed.count()));
  counters.bytes_recv.fetch_add(relay.bytes);
  if (server) server->counters().bytes_recv.fetch_add(relay.bytes);

  if (relay.client_error) {
    s.connection_failed();
    co_return make_error(errc::kBackendLost,
                         "client connection lost: " + relay.client_error.message());
  }
  if (relay.backend_error || tracker.protocol_error()) {
    std::string name = s.server_name();
    Error err;
    if (conn.deadline().expired()) {
      counters.query_timeouts.fetch_add(1);
      s.backends->kill_connection(s.executor, conn.state(), s.user);
      err =
          Error::make(errc::kQueryTimeout,
                      "Query execution was interrupted: it exceeded mysql-default_query_timeout (" +
                          std::to_string(s.query_timeout().count()) + " ms) on backend " + name);
    } else if (tracker.protocol_error()) {
      err = Error::make(errc::kBackendMalformedPacket,
                        "Malformed packet from backend " + name + ": " + *tracker.protocol_error());
    } else {
      counters.backend_lost.fetch_add(1);
      err = Error::make(errc::kBackendUnavailable,
                        "Lost connection to backend server " + name + " during query");
    }
    // Rows already sent: an ERR between rows ends the result for the client;
    // anywhere else in a result it could not be parsed, so only the close tells.
    std::optional<uint8_t> err_seq;
    if (!relay.relayed) {
      err_seq = first_answer_seq;
    } else if (tracker.between_rows()) {
      err_seq = static_cast<uint8_t>(tracker.last_sequence_id() + 1);
    }
    co_return co_await s.fail_statement(std::move(err), relay.relayed, err_seq, client);
  }
  if (tracker.local_infile_requested()) {
    co_return co_await s.refuse_local_infile(tracker, relay.relayed, client);
  }

  StatementOutcome outcome;
  outcome.ok = !tracker.error();
  if (outcome.ok && tracker.any_packet() && *shape != ResponseShape::kNone) {
    outcome.status = tracker.status_flags();
  }
  outcome.last_insert_id = tracker.last_insert_id();
  outcome.warnings = tracker.warnings();
  s.after_statement(cmd, command.substr(1), traits, outcome);
  co_return Result<void>{};
}

asio::awaitable<Result<std::optional<uint32_t>>> BackendSession::prepare(
    std::string_view command, uint32_t client_statement_id, asio::ip::tcp::socket& client) {
  auto& s = *impl_;
  s.client_statement_id = client_statement_id;
  s.backend_statement_id.reset();
  auto relayed = co_await forward(command, client);
  s.client_statement_id.reset();
  if (!relayed) co_return std::unexpected(relayed.error());
  co_return s.backend_statement_id;
}

// When the client can go on (nothing relayed, no session state lost), the
// error is returned for the caller to send. Otherwise the error is written
// here, where a client can still read it, and kBackendLost tells the caller
// to end the session: a direct client would have lost its connection too.
asio::awaitable<Result<void>> BackendSession::Impl::fail_statement(
    Error err, bool relayed, std::optional<uint8_t> err_seq, asio::ip::tcp::socket& client_socket) {
  bool held_state = pinned || (conn && (conn->state().status_flags & status::kInTrans));
  connection_failed();
  if (!relayed && !held_state) co_return std::unexpected(std::move(err));
  if (err_seq) {
    std::string out;
    uint8_t seq = *err_seq;
    mysql::append_packet(out, seq, mysql::encode_err(err, client.capabilities));
    std::error_code ignored;
    co_await asio::async_write(client_socket, asio::buffer(out),
                               asio::redirect_error(asio::use_awaitable, ignored));
  }
  co_return make_error(errc::kBackendLost, std::move(err.message));
}

// The client never offered CLIENT_LOCAL_FILES, so servers should not ask; if
// one does, it gets an empty file (nothing is loaded) and the client an error.
asio::awaitable<Result<void>> BackendSession::Impl::refuse_local_infile(
    ResponseTracker& tracker, bool relayed, asio::ip::tcp::socket& client_socket) {
  uint8_t seq = static_cast<uint8_t>(tracker.last_sequence_id() + 1);
  std::string empty;
  mysql::append_packet(empty, seq, "");
  conn->deadline().arm(query_timeout(), conn->socket());
  bool ok = !co_await conn->write(empty);
  ResponseTracker rest(ResponseShape::kResultSet, conn->state().capabilities);
  while (ok && !rest.done()) {
    auto [ec, n] = co_await conn->read_some();
    if (ec) break;
    rest.feed(conn->buffer_view(n));
    if (rest.protocol_error()) break;
  }
  conn->deadline().disarm();
  Error err = Error::make(errc::kNotAllowedCommand,
                          "LOAD DATA LOCAL INFILE is not supported by genaiproxy");
  if (!rest.done() || rest.protocol_error()) {
    connection_failed();
  } else {
    StatementOutcome outcome;
    outcome.ok = !rest.error();
    if (outcome.ok) outcome.status = rest.status_flags();
    after_statement(static_cast<uint8_t>(Command::kQuery), {}, StatementTraits{}, outcome);
  }
  if (relayed) {
    // Earlier results of a multi-statement query reached the client already:
    // the error takes the place of the LOAD DATA's answer.
    std::string out;
    uint8_t err_seq = tracker.last_sequence_id();
    mysql::append_packet(out, err_seq, mysql::encode_err(err, client.capabilities));
    std::error_code ec;
    co_await asio::async_write(client_socket, asio::buffer(out),
                               asio::redirect_error(asio::use_awaitable, ec));
    co_return Result<void>{};
  }
  co_return std::unexpected(err);
}

}  // namespace gp::backend
