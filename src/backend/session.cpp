#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cctype>

#include "backend/session_impl.h"
#include "core/coroutine_warnings.h"
#include "mysql/messages.h"
#include "mysql/packet.h"
#include "mysql/protocol.h"
#include "sql/sql.h"

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
  // The reset dropped the session's settings and prepared statements.
  conn->state().settings.clear();
  conn->state().statements.clear();
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
  static std::atomic<uint64_t> next_id{1};
  impl_->id = next_id.fetch_add(1, std::memory_order_relaxed);
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
  // (A connection held only for a following SHOW WARNINGS goes back as it is.)
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

BackendSession::Counts BackendSession::last_counts() const {
  return impl_->last_counts;
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
  bool end_read_view = conn->state().read_view && conn->state().last_session != id;
  conn->state().last_session = id;
  conn->state().read_view = false;
  if (tracked.empty() && conn->state().settings.empty()) co_return Result<void>{};
  std::string set = apply_statement(conn->state().settings, tracked,
                                    handshake_names(client.charset).value_or(""), end_read_view);
  if (set.empty()) co_return Result<void>{};
  backends->counters().state_applies.fetch_add(1);
  std::string command = std::string(1, static_cast<char>(Command::kQuery)) + set;
  conn->deadline().arm(query_timeout(), conn->socket());
  auto answer = co_await conn->simple_command(command);
  conn->deadline().disarm();
  if (!answer) {
    conn->mark_broken();
    conn.reset();
    co_return make_error(errc::kBackendUnavailable,
                         "Lost connection to a backend server while applying the session's "
                         "settings: " +
                             answer.error().message);
  }
  if (!mysql::is_ok_packet(*answer)) {
    auto err = mysql::parse_err(*answer, conn->state().capabilities);
    // The settings are unknown now: the connection cannot serve anyone.
    conn->mark_broken();
    conn.reset();
    co_return std::unexpected(err ? *err : err.error());
  }
  conn->state().settings = tracked;
  co_return Result<void>{};
}

std::string BackendSession::Impl::statement_key(const PreparedText& statement) const {
  std::string key = statement.text;
  key.push_back('\0');
  key += statement.schema;
  for (const auto& t : tracked) {
    if (t.key == "sql_mode" || t.key == "names" || t.key.starts_with("character_set_") ||
        t.key == "collation_connection") {
      key.push_back('\0');
      key += t.assignment;
    }
  }
  return key;
}

sql::LexOptions BackendSession::Impl::lex_options() const {
  sql::LexOptions options;
  options.no_backslash_escapes =
      session_status && (*session_status & status::kNoBackslashEscapes) != 0;
  for (const auto& t : tracked) {
    // ANSI_QUOTES, alone or through ANSI (the server's default has neither).
    if (t.key != "sql_mode") continue;
    std::string upper = t.assignment;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper.find("ANSI") != std::string::npos) options.ansi_quotes = true;
  }
  return options;
}

bool ends_transaction(std::string_view sql) {
  bool ends = false;
  bool first = true;
  sql::for_each_significant_token(sql, {}, [&](const sql::Token& t) {
    if (first) ends = sql::is_word(t, "commit") || sql::is_word(t, "rollback");
    first = false;
  });
  return ends;
}

bool BackendSession::Impl::mariadb() const {
  return conn && conn->state().server_version.find("MariaDB") != std::string::npos;
}

asio::awaitable<bool> BackendSession::Impl::record_settings(
    const std::vector<TrackedAssignment>& assignments) {
  std::vector<TrackedAssignment> values = assignments;
  std::string select;
  for (const auto& a : values) {
    if (a.readback.empty()) continue;
    select += select.empty() ? "SELECT " : ", ";
    select += "@@session." + a.readback;
  }
  if (!select.empty()) {
    std::string command = std::string(1, static_cast<char>(Command::kQuery)) + select;
    conn->deadline().arm(query_timeout(), conn->socket());
    auto send_error = co_await conn->send_command(command);
    if (send_error) {
      conn->deadline().disarm();
      conn->mark_broken();
      co_return false;
    }
    auto read = co_await collect_result(*conn);
    conn->deadline().disarm();
    if (!read) {
      conn->mark_broken();
      co_return false;
    }
    if (read->server_error || read->result.rows.size() != 1) co_return false;
    const auto& row = read->result.rows[0];
    size_t readbacks = std::count_if(values.begin(), values.end(),
                                     [](const auto& a) { return !a.readback.empty(); });
    if (row.size() != readbacks) co_return false;
    size_t k = 0;
    for (auto& a : values) {
      if (a.readback.empty()) continue;
      const auto& v = row[k++];
      a.assignment = a.readback + " = " + (v ? sql::quote_string(*v) : std::string("NULL"));
    }
  }
  for (const auto& a : values) record(tracked, a);
  conn->state().settings = tracked;
  co_return true;
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
                                           const StatementOutcome& outcome, bool tracked_set) {
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
    if (is(command, Command::kResetConnection)) {
      pinned = false;
      tracked.clear();
      state.settings.clear();
      state.statements.clear();
    }
  }
  bool state_changed = outcome.status && (*outcome.status & status::kSessionStateChanged);
  // Autocommit off is a tracked setting; found off otherwise (a procedure
  // turned it off), the connection stays with the client.
  bool autocommit_tracked =
      std::any_of(tracked.begin(), tracked.end(),
                  [](const TrackedSetting& t) { return t.key == "autocommit"; });
  bool pin = traits.pins || is(command, Command::kSetOption) ||
             (state_changed && !schema_change && !tracked_set) ||
             (outcome.status && !(*outcome.status & status::kAutocommit) && !autocommit_tracked);
  // Warnings and a generated id are read by the statement that follows
  // (SHOW WARNINGS, SELECT LAST_INSERT_ID()): the connection waits for it.
  held_for_next = outcome.warnings > 0 || outcome.last_insert_id != 0;
  if (pin && !pinned && !is(command, Command::kResetConnection)) {
    pinned = true;
    backends->counters().sessions_pinned.fetch_add(1);
  }
  if (!pinned && !held_for_next && !(state.status_flags & status::kInTrans)) {
    // After COMMIT or ROLLBACK no snapshot is left to end.
    state.read_view = !(state.status_flags & status::kAutocommit) && !ends_transaction(argument);
    backends->release(std::move(conn));
  }
}

asio::awaitable<Result<void>> BackendSession::forward(std::string_view command,
                                                      ClientStream& client) {
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
  // Statements are executed through execute(), which finds or prepares the
  // statement on the connection; the other COM_STMT_* are the client
  // session's business.
  bool statement_command = is(cmd, Command::kStmtFetch) || is(cmd, Command::kStmtClose) ||
                           is(cmd, Command::kStmtReset) || is(cmd, Command::kStmtSendLongData);
  if (statement_command || (is(cmd, Command::kStmtExecute) && !s.conn)) {
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
  // A SET of tracked settings only: recorded instead of pinning (when the
  // character set could be put back on the connection afterwards).
  std::optional<std::vector<TrackedAssignment>> tracked_set;
  if (traits.pins && is(cmd, Command::kQuery) && !s.pinned) {
    tracked_set = parse_tracked_set(command.substr(1), s.mariadb(), s.lex_options());
    bool names = tracked_set && std::any_of(tracked_set->begin(), tracked_set->end(),
                                            [](const auto& a) { return a.key == "names"; });
    if (names && !handshake_names(s.client.charset)) tracked_set.reset();
    if (tracked_set) traits.pins = false;
  }
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
  s.backend_statement_params = relay.backend_statement_params;
  if (relay.backend_statement_id && is(cmd, Command::kStmtPrepare)) {
    PreparedText prepared;
    prepared.text = std::string(command.substr(1));
    prepared.schema = s.schema;
    remember_statement(conn.state(), s.statement_key(prepared),
                       {*relay.backend_statement_id, relay.backend_statement_params});
  }
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
      s.backends->kill_connection(s.executor, conn.state(), s.user, s.client.password_sha1);
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
  s.last_counts = {tracker.rows(), tracker.affected_rows(), tracker.error()};
  if (tracked_set && outcome.ok) {
    if (!co_await s.record_settings(*tracked_set)) {
      traits.pins = true;
      if (!s.conn->usable()) {
        s.connection_failed();
        co_return Result<void>{};
      }
    }
  }
  s.after_statement(cmd, command.substr(1), traits, outcome, tracked_set.has_value());
  co_return Result<void>{};
}

asio::awaitable<Result<void>> BackendSession::prepare(std::string_view command,
                                                      uint32_t client_statement_id,
                                                      ClientStream& client,
                                                      PreparedText& statement) {
  auto& s = *impl_;
  s.client_statement_id = client_statement_id;
  s.backend_statement_id.reset();
  auto relayed = co_await forward(command, client);
  s.client_statement_id.reset();
  if (!relayed) co_return std::unexpected(relayed.error());
  if (s.backend_statement_id) {
    statement.text = std::string(command.substr(1));
    statement.schema = s.schema;
    statement.params = s.backend_statement_params;
  }
  co_return Result<void>{};
}

// When the client can go on (nothing relayed, no session state lost), the
// error is returned for the caller to send. Otherwise the error is written
// here, where a client can still read it, and kBackendLost tells the caller
// to end the session: a direct client would have lost its connection too.
asio::awaitable<Result<void>> BackendSession::Impl::fail_statement(Error err, bool relayed,
                                                                   std::optional<uint8_t> err_seq,
                                                                   ClientStream& client_socket) {
  bool held_state = pinned || (conn && (conn->state().status_flags & status::kInTrans));
  connection_failed();
  if (!relayed && !held_state) co_return std::unexpected(std::move(err));
  if (err_seq) {
    std::string out;
    uint8_t seq = *err_seq;
    mysql::append_packet(out, seq, mysql::encode_err(err, client.capabilities));
    std::error_code ignored;
    co_await client_socket.write(asio::buffer(out), ignored);
  }
  co_return make_error(errc::kBackendLost, std::move(err.message));
}

// The client never offered CLIENT_LOCAL_FILES, so servers should not ask; if
// one does, it gets an empty file (nothing is loaded) and the client an error.
asio::awaitable<Result<void>> BackendSession::Impl::refuse_local_infile(
    ResponseTracker& tracker, bool relayed, ClientStream& client_socket) {
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
    co_await client_socket.write(asio::buffer(out), ec);
    co_return Result<void>{};
  }
  co_return std::unexpected(err);
}

}  // namespace gp::backend
