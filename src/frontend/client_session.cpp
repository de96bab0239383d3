#include "frontend/client_session.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/channel.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/experimental/parallel_group.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>
#include <optional>

#include "frontend/local_answers.h"
#include "frontend/packet_channel.h"
#include "frontend/server_auth.h"
#include "frontend/sql_functions.h"
#include "frontend/statements.h"
#include "genai/errors.h"
#include "genai/parameters.h"
#include "genai/request.h"
#include "mysql/messages.h"
#include "mysql/prepared.h"
#include "mysql/protocol.h"
#include "sql/sql.h"

namespace gp::frontend {

namespace {

using mysql::Command;

// How a GENAI result is written: a text result set answers COM_QUERY, a
// binary one COM_STMT_EXECUTE.
enum class Protocol { kText, kBinary };

// Where a GENAI: result lands: the engine posts it to the session's executor
// and wakes the session through a channel. (A never-expiring timer, cancelled
// to wake, would reprogram the loop's timerfd on every statement.)
struct GenaiWait {
  explicit GenaiWait(const asio::any_io_executor& ex) : wakeup(ex, 1) {}
  // (asio 1.22 cannot instantiate a channel of plain void(error_code).)
  asio::experimental::channel<void(std::error_code, bool)> wakeup;
  std::optional<Result<mysql::ResultSet>> result;
};

class ClientSession final : public FunctionHost {
 public:
  ClientSession(asio::ip::tcp::socket socket, SessionContext& context)
      : context_(context),
        channel_(std::move(socket),
                 static_cast<size_t>(context.config.current()->mysql.max_allowed_packet)),
        connection_id_(context.next_connection_id.fetch_add(1)) {}
  ~ClientSession() override {
    if (registered_) context_.sessions.remove(&activity_);
  }
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  asio::awaitable<void> run() {
    executor_ = co_await asio::this_coro::executor;
    auto config = context_.config.current();
    greeting_version_ = context_.server_version(*config) + "-genaiproxy";
    auto tls = context_.tls.load();
    GreetingOptions greeting{greeting_version_, connection_id_,
                             std::chrono::milliseconds(config->mysql.connect_timeout_client_ms),
                             config->mysql.have_ssl ? tls->context : nullptr};
    AuthSettings auth{[&](const std::string& name) { return find_user(*config, name); },
                      tls->rsa_key};
    auto client = co_await authenticate_client(channel_, greeting, auth);
    if (!client) co_return;
    if (client->tls) context_.counters.client_connections_tls.fetch_add(1);
    channel_.set_max_payload(static_cast<size_t>(config->mysql.max_allowed_packet));
    log_in(*client, *config);
    context_.sessions.add(&activity_);
    registered_ = true;

    for (;;) {
      auto packet = co_await channel_.read();
      if (!packet) {
        if (!channel_.closed()) {
          queue_error(packet.error());
          co_await channel_.flush();
          // The client may still be sending the rest of the bad packet:
          // closing now would reset the connection and lose the error.
          co_await channel_.discard_input(kDiscardOnError);
        }
        co_return;
      }
      if (packet->empty()) {
        queue_error(Error::make(errc::kMalformedPacket, "empty command packet"));
        co_await channel_.flush();
        co_return;
      }
      if (!co_await dispatch(*packet)) co_return;
    }
  }

 private:
  // Only a user with a frontend row logs in to the proxy.
  static std::optional<StoredUser> find_user(const RuntimeConfig& config, const std::string& name) {
    for (const auto& u : config.users) {
      if (u.username == name && u.active && u.frontend) return StoredUser{u.password, u.use_ssl};
    }
    return std::nullopt;
  }

  // The session is `client`'s from now on (at login and COM_CHANGE_USER).
  void log_in(const AuthenticatedClient& client, const RuntimeConfig& config) {
    client_ = client;
    user_ = MysqlUser{};
    for (const auto& u : config.users) {
      if (u.username == client_.username && u.active && u.frontend) user_ = u;
    }
    if (client_.database.empty()) client_.database = user_.default_schema;
    std::error_code ec;
    auto local = channel_.socket().local_endpoint(ec);
    auto identity = SessionActivity::identity_of(connection_id_, client_.username, client_.database,
                                                 channel_.peer(),
                                                 ec ? std::string() : local.address().to_string(),
                                                 ec ? 0 : local.port(), user_.default_hostgroup);
    activity_.set_identity(std::move(identity));
  }

  // What COM_RESET_CONNECTION and COM_CHANGE_USER reset, as MySQL does: user
  // variables, session variables, prepared statements, temporary tables,
  // locks and the open transaction (rolled back). The backend connection the
  // session held is reset and goes back to the pool (BackendSession's
  // destructor); the next statement takes a fresh one.
  void reset_session_state() {
    backend_.reset();
    statements_.clear();
    variables_.reset();
    autocommit_ = true;
    in_transaction_ = false;
    activity_.finish(false);
  }

  asio::awaitable<bool> reset_connection() {
    context_.counters.reset_connection.fetch_add(1, std::memory_order_relaxed);
    reset_session_state();
    co_return co_await send_ok();
  }

  asio::awaitable<bool> change_user(std::string& packet) {
    context_.counters.change_user.fetch_add(1, std::memory_order_relaxed);
    auto config = context_.config.current();
    AuthSettings auth{[&](const std::string& name) { return find_user(*config, name); },
                      context_.tls.load()->rsa_key};
    auto client =
        co_await frontend::change_user(channel_, std::string_view(packet).substr(1), client_, auth);
    // A refused login ends the session, as in MySQL; a malformed request
    // got its error and the session goes on as it was.
    if (!client) co_return client.error().code != errc::kAccessDenied && !channel_.closed();
    reset_session_state();
    log_in(*client, *config);
    co_return co_await send_ok();
  }

  // Returns false when the session must end.
  asio::awaitable<bool> dispatch(std::string& packet) {
    const auto command = static_cast<Command>(static_cast<uint8_t>(packet[0]));
    switch (command) {
      case Command::kQuit:
        co_return false;
      case Command::kPing:
        co_return co_await send_ok();
      case Command::kQuery:
        co_return co_await query(packet);
      case Command::kInitDb:
        activity_.set_schema(std::string_view(packet).substr(1));
        if (!has_backend()) {
          client_.database = packet.substr(1);
          co_return co_await send_ok();
        }
        co_return co_await forward(packet);
      case Command::kChangeUser:
        co_return co_await change_user(packet);
      case Command::kResetConnection:
        co_return co_await reset_connection();
      case Command::kStmtPrepare:
        co_return co_await prepare(packet);
      case Command::kStmtExecute:
        co_return co_await execute(packet);
      case Command::kStmtSendLongData:
      case Command::kStmtClose:
      case Command::kStmtReset:
      case Command::kStmtFetch:
        co_return co_await statement_command(command, packet);
      case Command::kSetOption:
      case Command::kFieldList:
      case Command::kStatistics:
        if (!has_backend()) {
          queue_error(no_backend_error());
          co_return co_await flush();
        }
        co_return co_await forward(packet);
      default:
        queue_error(Error::make(errc::kUnknownCommand,
                                "Unknown command 0x" + fmt_hex(static_cast<uint8_t>(packet[0]))));
        co_return co_await flush();
    }
  }

  // Every COM_QUERY counts in the digests, the commands counters and the
  // processlist, whichever path answers it.
  asio::awaitable<bool> query(std::string& packet) {
    context_.counters.questions.fetch_add(1, std::memory_order_relaxed);
    std::string_view sql = std::string_view(packet).substr(1);
    activity_.start("Query", sql);
    const auto started = std::chrono::steady_clock::now();
    rows_sent_ = 0;
    rows_affected_ = 0;
    answered_hostgroup_ = user_.default_hostgroup;
    std::string digest = sql::digest_text(sql, lex_options());
    bool goes_on = co_await answer_query(packet);
    record_statement(digest, started);
    co_return goes_on;
  }

  void record_statement(std::string_view digest, std::chrono::steady_clock::time_point started) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    auto long_query_ms = context_.config.current()->mysql.long_query_time_ms;
    context_.query_stats.record(
        {answered_hostgroup_, client_.database, client_.username, digest,
         static_cast<uint64_t>(us.count()), rows_affected_, rows_sent_, QueryStats::unix_now()},
        static_cast<uint64_t>(long_query_ms) * 1000);
    activity_.finish((session_status_flags() & mysql::status::kInTrans) != 0);
  }

  asio::awaitable<bool> answer_query(std::string& packet) {
    std::string_view sql = std::string_view(packet).substr(1);
    if (genai::is_genai_statement(sql)) {
      answered_hostgroup_ = kAnsweredByProxy;
      std::string statement(sql);
      // The session's NO_BACKSLASH_ESCAPES decides how its SQL literals read;
      // the engine reads plain JSON the same in either mode.
      if (no_backslash_escapes()) {
        auto json = genai::genai_json(sql, true);
        if (json) statement = "GENAI: " + *json;
      }
      co_return co_await genai(std::move(statement));
    }
    if (sql::mentions_ai_functions(sql) && sql_functions_enabled()) {
      start_disconnect_watch();
      bool goes_on = co_await run_function_query(*this, context_.engine, sql, lex_options());
      stop_disconnect_watch();
      co_return goes_on;
    }
    bool backend_available = has_backend();
    // Forwarded statements pay only for the banner check.
    if (backend_available && !is_banner_query(sql)) co_return co_await forward(packet);
    auto local = answer_locally(sql, backend_available, variables(), session_info());
    if (!local) {
      queue_error(local.error());
      co_return co_await flush();
    }
    if (*local) {
      apply(**local);
      answered_hostgroup_ = kAnsweredByProxy;
      if (const auto* rows = std::get_if<mysql::ResultSet>(&(*local)->result)) {
        rows_sent_ = rows->rows.size();
      }
      if ((*local)->use_database) activity_.set_schema(client_.database);
      queue_result((*local)->result);
      co_return co_await flush();
    }
    if (!backend_available) {
      queue_error(no_backend_error());
      co_return co_await flush();
    }
    co_return co_await forward(packet);
  }

  // COM_STMT_PREPARE: a GENAI statement is prepared by the proxy itself (it
  // never reaches a backend); anything else is prepared on the backend, and
  // the client sees the proxy's id for it.
  asio::awaitable<bool> prepare(std::string& packet) {
    std::string_view sql = std::string_view(packet).substr(1);
    uint32_t id = statements_.next_id();
    if (!genai::is_genai_statement(sql) && sql::mentions_ai_functions(sql) &&
        sql_functions_enabled()) {
      auto planned = plan_prepared(sql, lex_options());
      if (!planned) {
        queue_error(planned.error());
        co_return co_await flush();
      }
      if (!planned->plan.calls.empty() && !context_.config.current()->genai.enabled) {
        queue_error(genai::disabled_error());
        co_return co_await flush();
      }
      if (!planned->plan.calls.empty()) {
        auto fs = std::make_shared<FunctionStatement>(std::move(*planned));
        bool prepared = false;
        bool goes_on = co_await prepare_function_statement(*this, *fs, id, prepared);
        if (prepared) {
          PreparedStatement statement;
          statement.param_count = static_cast<uint16_t>(fs->plan.parameters);
          statement.functions = std::move(fs);
          statement.digest_text = sql::digest_text(sql, lex_options());
          statements_.add(id, std::move(statement));
        }
        co_return goes_on;
      }
    }
    if (!genai::is_genai_statement(sql)) {
      if (!has_backend()) {
        queue_error(no_backend_error());
        co_return co_await flush();
      }
      auto ex = co_await asio::this_coro::executor;
      auto backend = backend_session(ex);
      auto text = std::make_shared<backend::PreparedText>();
      auto prepared = co_await backend->prepare(packet, id, channel_.stream(), *text);
      if (!prepared) co_return co_await backend_failed(prepared.error());
      if (!text->text.empty()) {
        PreparedStatement statement;
        statement.digest_text = sql::digest_text(sql, lex_options());
        statement.backend = std::move(text);
        statements_.add(id, std::move(statement));
      }
      co_return true;
    }
    if (!context_.config.current()->genai.enabled) {
      queue_error(genai::disabled_error());
      co_return co_await flush();
    }
    auto tmpl = genai::parse_genai_template(sql, no_backslash_escapes());
    if (!tmpl) {
      queue_error(tmpl.error());
      co_return co_await flush();
    }
    if (tmpl->parameter_count() > 0xffff) {
      queue_error(genai::invalid_request("too many '?' parameters (at most 65535)"));
      co_return co_await flush();
    }
    if (tmpl->parameter_count() == 0) {
      // Nothing left to bind: a bad request is reported now, as a server
      // reports a syntax error at prepare time.
      auto checked = genai::parse_genai_statement("GENAI: " + tmpl->pieces[0],
                                                  context_.config.current()->genai);
      if (!checked) {
        queue_error(checked.error());
        co_return co_await flush();
      }
    }
    mysql::PrepareOk ok;
    ok.statement_id = id;
    ok.params.assign(tmpl->parameter_count(), mysql::param_column());
    ok.columns = genai::template_columns(*tmpl);
    PreparedStatement statement;
    statement.param_count = static_cast<uint16_t>(tmpl->parameter_count());
    statement.genai = std::move(*tmpl);
    statement.digest_text = sql::digest_text(sql, lex_options());
    statements_.add(id, std::move(statement));
    mysql::append_prepare_ok(channel_.out(), channel_.seq(), ok, client_.capabilities);
    co_return co_await flush();
  }

  asio::awaitable<bool> execute(std::string& packet) {
    auto id = mysql::statement_id_of(packet);
    PreparedStatement* statement = id ? statements_.find(*id) : nullptr;
    if (!statement) {
      queue_error(unknown_statement_error(id ? *id : 0, "mysqld_stmt_execute"));
      co_return co_await flush();
    }
    if (statement->backend) {
      // Kept alive by this reference even if a pipelined CLOSE comes first.
      auto text = statement->backend;
      std::string digest = statement->digest_text;
      activity_.start("Execute", text->text);
      const auto started = std::chrono::steady_clock::now();
      rows_sent_ = 0;
      rows_affected_ = 0;
      answered_hostgroup_ = user_.default_hostgroup;
      bool goes_on = co_await execute_on_backend(*text, std::move(packet));
      record_statement(digest, started);
      co_return goes_on;
    }
    auto request = mysql::parse_execute(packet, statement->param_count, statement->types,
                                        statement->long_data);
    statement->clear_long_data();
    if (!request) {
      queue_error(request.error());
      co_return co_await flush();
    }
    if (request->flags != 0) {
      queue_error(Error::make(errc::kNotSupported,
                              "Cursors (COM_STMT_EXECUTE with a cursor type) are not supported for "
                              "GENAI statements"));
      co_return co_await flush();
    }
    statement->types = std::move(request->types);
    std::string digest = statement->digest_text;
    const auto started = std::chrono::steady_clock::now();
    rows_sent_ = 0;
    rows_affected_ = 0;
    if (statement->functions) {
      // Kept alive by this reference even if a pipelined CLOSE comes first.
      auto functions = statement->functions;
      answered_hostgroup_ = user_.default_hostgroup;
      start_disconnect_watch();
      bool goes_on =
          co_await execute_function_statement(*this, context_.engine, *functions, request->params);
      stop_disconnect_watch();
      record_statement(digest, started);
      co_return goes_on;
    }
    answered_hostgroup_ = kAnsweredByProxy;
    auto bound = genai::bind_genai_template(*statement->genai, request->params);
    if (!bound) {
      queue_error(bound.error());
      bool goes_on = co_await flush();
      record_statement(digest, started);
      co_return goes_on;
    }
    bool goes_on = co_await genai(std::move(*bound), Protocol::kBinary);
    record_statement(digest, started);
    co_return goes_on;
  }

  // SEND_LONG_DATA, CLOSE, RESET and FETCH name a statement by its id.
  asio::awaitable<bool> statement_command(Command command, std::string& packet) {
    auto id = mysql::statement_id_of(packet);
    PreparedStatement* statement = id ? statements_.find(*id) : nullptr;
    // SEND_LONG_DATA and CLOSE have no answer, not even an error.
    bool silent = command == Command::kStmtSendLongData || command == Command::kStmtClose;
    if (!statement) {
      if (silent) co_return true;
      queue_error(unknown_statement_error(id ? *id : 0, command == Command::kStmtReset
                                                            ? "mysqld_stmt_reset"
                                                            : "mysqld_stmt_fetch"));
      co_return co_await flush();
    }
    if (statement->backend) {
      // The backend's statement lives on whichever connection runs it: long
      // data waits here for the execute, and a reset has nothing to reset
      // there (no cursors).
      switch (command) {
        case Command::kStmtSendLongData:
          statement->backend->long_data.push_back(packet);
          co_return true;
        case Command::kStmtClose:
          statements_.erase(*id);
          co_return true;
        case Command::kStmtReset:
          statement->backend->long_data.clear();
          co_return co_await send_ok();
        default:
          queue_error(Error::make(errc::kNotSupported,
                                  "COM_STMT_FETCH: cursors are not supported by genaiproxy"));
          co_return co_await flush();
      }
    }
    if (statement->functions && command != Command::kStmtSendLongData) {
      if (command == Command::kStmtReset) statement->clear_long_data();
      if (command == Command::kStmtClose) {
        statements_.erase(*id);
        co_return true;
      }
      if (command == Command::kStmtFetch) {
        queue_error(Error::make(errc::kNotSupported,
                                "COM_STMT_FETCH: statements with GENAI functions have no cursor"));
        co_return co_await flush();
      }
      co_return co_await send_ok();
    }
    switch (command) {
      case Command::kStmtSendLongData:
        if (auto data = mysql::parse_send_long_data(packet)) statement->add_long_data(*data);
        co_return true;
      case Command::kStmtClose:
        statements_.erase(*id);
        co_return true;
      case Command::kStmtReset:
        statement->clear_long_data();
        co_return co_await send_ok();
      default:
        queue_error(
            Error::make(errc::kNotSupported,
                        "COM_STMT_FETCH: GENAI statements have no cursor; their whole result "
                        "comes with COM_STMT_EXECUTE"));
        co_return co_await flush();
    }
  }

  // The session's system variables, as a server would show them; they are
  // what the proxy answers when the session has no backend.
  sql::SessionVariables& variables() {
    if (!variables_) {
      auto config = context_.config.current();
      std::error_code ec;
      auto local = channel_.socket().local_endpoint(ec);
      auto defaults = session_defaults(greeting_version_, client_.charset,
                                       static_cast<uint64_t>(config->mysql.max_allowed_packet),
                                       ec ? 0 : local.port());
      defaults.have_ssl = config->mysql.have_ssl;
      variables_ = sql::SessionVariables::defaults(defaults);
    }
    return *variables_;
  }

  sql::SessionInfo session_info() const {
    return {client_.username, channel_.peer(), client_.database, connection_id_};
  }

  // What a locally answered statement changed in the session.
  void apply(const sql::LocalAnswer& answer) {
    if (answer.use_database) client_.database = *answer.use_database;
    if (answer.autocommit_changed) {
      const auto& value = variables().values["autocommit"];
      autocommit_ = value && (*value == "ON" || *value == "1");
      // As in MySQL, switching autocommit on commits the open transaction.
      if (autocommit_) in_transaction_ = false;
    }
    using T = sql::LocalAnswer::Transaction;
    if (answer.transaction == T::kBegin) in_transaction_ = true;
    if (answer.transaction == T::kCommit || answer.transaction == T::kRollback) {
      in_transaction_ = false;
    }
  }

  bool no_backslash_escapes() const {
    return (status_flags() & mysql::status::kNoBackslashEscapes) != 0;
  }

  asio::awaitable<bool> genai(std::string sql, Protocol protocol = Protocol::kText) {
    context_.counters.genai_statements.fetch_add(1, std::memory_order_relaxed);
    if (!context_.config.current()->genai.enabled) {
      queue_error(genai::disabled_error());
      co_return co_await flush();
    }
    struct Unanswered {
      explicit Unanswered(std::atomic<int64_t>& c) : count(c) { count.fetch_add(1); }
      ~Unanswered() { count.fetch_sub(1); }
      std::atomic<int64_t>& count;
    } unanswered(context_.counters.genai_unanswered);
    auto ex = co_await asio::this_coro::executor;
    auto wait = std::make_shared<GenaiWait>(ex);
    genai::RequestContext request_context;
    request_context.username = client_.username;
    request_context.default_hostgroup = user_.default_hostgroup;
    if (has_backend()) request_context.run_sql = make_sql_runner(ex);
    auto cancel = std::make_shared<genai::Cancellation>();
    request_context.cancel = cancel;
    asio::co_spawn(ex, context_.engine.run(std::move(sql), std::move(request_context)),
                   [wait, cancel](std::exception_ptr error, Result<mysql::ResultSet> result) {
                     if (error) {
                       result = make_error(errc::kUnknownError,
                                           "GENAI: the statement failed unexpectedly");
                     }
                     wait->result = std::move(result);
                     wait->wakeup.try_send(std::error_code{}, true);
                   });

    // Wait for the answer while watching the client socket: a client that
    // goes away cancels its request instead of leaving it to run.
    bool watching = true;
    while (!wait->result) {
      if (!watching) {
        std::error_code ec;
        co_await wait->wakeup.async_receive(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      auto [order, wake_ec, woken, socket_ec] =
          co_await asio::experimental::make_parallel_group(
              wait->wakeup.async_receive(asio::experimental::deferred),
              channel_.socket().async_wait(asio::ip::tcp::socket::wait_read,
                                           asio::experimental::deferred))
              .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
      if (wait->result) break;
      if (order[0] == 1 && !peer_still_open()) {
        cancel->requested = true;
        cancel->signal.emit(asio::cancellation_type::terminal);
        context_.counters.client_connections_aborted.fetch_add(1, std::memory_order_relaxed);
        // The statement still completes once; its handler keeps `wait` alive.
        co_return false;
      }
      // Pipelined input: answer this statement first, then read the next one.
      if (order[0] == 1) watching = false;
    }
    if (*wait->result) rows_sent_ = (*wait->result)->rows.size();
    if (!*wait->result) {
      queue_error(wait->result->error());
    } else if (protocol == Protocol::kBinary) {
      auto written = mysql::append_binary_resultset(channel_.out(), channel_.seq(), **wait->result,
                                                    client_.capabilities, status_flags());
      if (!written) queue_error(written.error());
    } else {
      queue_result(mysql::QueryResult(std::move(**wait->result)));
    }
    co_return co_await flush();
  }

  // FunctionHost
  PacketChannel& channel() override { return channel_; }
  uint32_t capabilities() const override { return client_.capabilities; }
  uint16_t status_flags() const override { return session_status_flags(); }
  std::shared_ptr<backend::BackendSession> backend() override {
    return has_backend() ? backend_session(executor_) : nullptr;
  }
  genai::RequestContext request_context() override {
    genai::RequestContext c;
    c.username = client_.username;
    c.default_hostgroup = user_.default_hostgroup;
    c.cancel = function_cancel_;
    return c;
  }

  // While a statement with AI functions runs, a client that goes away
  // cancels its upstream requests (as for GENAI: statements): one wait for
  // the socket to become readable, ended with the statement.
  void start_disconnect_watch() {
    function_cancel_ = std::make_shared<genai::Cancellation>();
    watching_ = std::make_shared<bool>(true);
    channel_.socket().async_wait(
        asio::ip::tcp::socket::wait_read,
        [this, cancel = function_cancel_, watching = watching_](std::error_code ec) {
          if (ec || !*watching) return;
          *watching = false;
          if (peer_still_open()) return;  // pipelined input: answered in turn
          cancel->requested = true;
          cancel->signal.emit(asio::cancellation_type::terminal);
        });
  }
  void stop_disconnect_watch() {
    if (watching_ && *watching_) {
      *watching_ = false;
      std::error_code ignored;
      channel_.socket().cancel(ignored);  // nothing else is pending between statements
    }
    watching_.reset();
    function_cancel_.reset();
  }
  const GenaiSettings& genai_settings() const override {
    statement_config_ = context_.config.current();
    return statement_config_->genai;
  }
  asio::awaitable<bool> relay(std::string packet) override { co_return co_await forward(packet); }
  asio::awaitable<bool> execute_on_backend(backend::PreparedText& statement,
                                           std::string packet) override {
    auto ex = co_await asio::this_coro::executor;
    auto backend = backend_session(ex);
    auto result = co_await backend->execute(statement, std::move(packet), channel_.stream());
    add_counts(*backend);
    if (result) co_return true;
    co_return co_await backend_failed(result.error());
  }

  bool sql_functions_enabled() const { return context_.config.current()->genai.sql_functions; }

  // How the session's SQL is read: NO_BACKSLASH_ESCAPES as the server
  // reports it, ANSI_QUOTES as far as the proxy knows the session's sql_mode.
  sql::LexOptions lex_options() const {
    sql::LexOptions options;
    if (variables_) options = sql::lex_options(*variables_);
    options.no_backslash_escapes = no_backslash_escapes();
    return options;
  }

  bool peer_still_open() {
    char byte;
    std::error_code ec;
    channel_.socket().non_blocking(true, ec);
    size_t n =
        channel_.socket().receive(asio::buffer(&byte, 1), asio::socket_base::message_peek, ec);
    channel_.socket().non_blocking(false, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return true;
    if (ec || n == 0) return false;
    // Over TLS 1.2 a client that closes properly sends a close_notify alert
    // (a record of type 21) before its FIN; a pipelined statement is
    // application data (type 23). TLS 1.3 sends both as type 23: there the
    // alert looks like input, and the statement runs to its end.
    constexpr char kTlsAlertRecord = 21;
    return !(channel_.is_tls() && byte == kTlsAlertRecord);
  }

  static asio::awaitable<Result<mysql::ResultSet>> backend_query(
      std::shared_ptr<backend::BackendSession> backend, std::string sql) {
    co_return co_await backend->query(std::move(sql));
  }

  genai::SqlRunner make_sql_runner(const asio::any_io_executor& ex) {
    return [backend = backend_session(ex)](std::string sql) {
      return backend_query(backend, std::move(sql));
    };
  }

  std::shared_ptr<backend::BackendSession> backend_session(const asio::any_io_executor& ex) {
    if (!backend_) {
      backend::ClientInfo info{client_.username, client_.capabilities, client_.charset,
                               client_.database, client_.password_sha1};
      backend_ = std::make_shared<backend::BackendSession>(context_.backends, ex, user_, info);
    }
    return backend_;
  }

  asio::awaitable<bool> forward(std::string_view packet) {
    auto ex = co_await asio::this_coro::executor;
    auto backend = backend_session(ex);
    auto result = co_await backend->forward(packet, channel_.stream());
    add_counts(*backend);
    if (result) co_return true;
    co_return co_await backend_failed(result.error());
  }

  // What the backend's answer held, for stats_mysql_query_digest.
  void add_counts(const backend::BackendSession& backend) {
    auto counts = backend.last_counts();
    rows_sent_ += counts.rows_sent;
    rows_affected_ += counts.rows_affected;
    if (counts.error) {
      context_.query_stats.record_error({answered_hostgroup_,
                                         client_.database,
                                         client_.username,
                                         {},
                                         static_cast<int>(counts.error->code),
                                         counts.error->message,
                                         QueryStats::unix_now()});
    }
  }

  // After a failed forward: returns false when the session must end.
  asio::awaitable<bool> backend_failed(Error error) {
    if (error.code == errc::kBackendLost) {
      // Part of a response already reached the client: the stream cannot be
      // repaired, so the client sees the connection end (as with a dead server).
      spdlog::warn("client {} lost its backend mid-response: {}", connection_id_, error.message);
      co_return false;
    }
    queue_error(error);
    co_return co_await flush();
  }

  bool has_backend() const {
    auto config = context_.config.current();
    for (const auto& s : config->servers) {
      if (s.hostgroup_id == user_.default_hostgroup) return true;
    }
    return false;
  }

  Error no_backend_error() const {
    return Error::make(
        errc::kBackendUnavailable,
        "genaiproxy has no MySQL server in hostgroup " + std::to_string(user_.default_hostgroup) +
            " for this statement: add one to mysql_servers and LOAD MYSQL SERVERS TO "
            "RUNTIME (GENAI: statements work without one)");
  }

  static std::string fmt_hex(uint8_t v) {
    static const char* digits = "0123456789abcdef";
    return {digits[v >> 4], digits[v & 15]};
  }

  // Answers are queued by ordinary calls and written by the argument-free
  // flush(): g++ 12 may destroy a temporary twice when it is an argument
  // inside a co_await expression.
  asio::awaitable<bool> send_ok() {
    mysql::OkPacket ok;
    ok.status_flags = status_flags();
    channel_.queue(mysql::encode_ok(ok, client_.capabilities));
    co_return co_await flush();
  }

  void queue_error(const Error& error) {
    context_.query_stats.record_error({answered_hostgroup_,
                                       client_.database,
                                       client_.username,
                                       {},
                                       static_cast<int>(error.code),
                                       error.message,
                                       QueryStats::unix_now()});
    channel_.queue(mysql::encode_err(error, client_.capabilities));
  }

  void queue_result(const mysql::QueryResult& result) {
    mysql::append_query_result(channel_.out(), channel_.seq(), result, client_.capabilities,
                               status_flags());
  }

  // The session's real transaction state: as the backend connection last
  // reported it, or as the session set it without a backend. Drivers decide
  // from these bits whether commit() and rollback() send anything.
  uint16_t session_status_flags() const {
    if (backend_) {
      if (auto reported = backend_->session_status()) return *reported;
    }
    uint16_t flags = 0;
    if (autocommit_) flags |= mysql::status::kAutocommit;
    if (in_transaction_) flags |= mysql::status::kInTrans;
    if (variables_ && sql::lex_options(*variables_).no_backslash_escapes) {
      flags |= mysql::status::kNoBackslashEscapes;
    }
    return flags;
  }

  asio::awaitable<bool> flush() { co_return !co_await channel_.flush(); }

  SessionContext& context_;
  asio::any_io_executor executor_;
  // Holds the settings a statement with SQL functions reads.
  mutable std::shared_ptr<const RuntimeConfig> statement_config_;
  PacketChannel channel_;
  uint32_t connection_id_;
  AuthenticatedClient client_;
  MysqlUser user_;
  std::shared_ptr<backend::BackendSession> backend_;
  std::shared_ptr<genai::Cancellation> function_cancel_;
  std::shared_ptr<bool> watching_;
  StatementRegistry statements_;
  std::string greeting_version_;
  std::optional<sql::SessionVariables> variables_;
  // Transaction state of a session that has no backend connection yet.
  bool autocommit_ = true;
  bool in_transaction_ = false;
  // What the statement running adds to the stats: the hostgroup that
  // answered it (kAnsweredByProxy for GENAI statements and local answers)
  // and the rows it sent, where the proxy wrote them itself.
  static constexpr int kAnsweredByProxy = -1;
  int answered_hostgroup_ = 0;
  uint64_t rows_sent_ = 0;
  uint64_t rows_affected_ = 0;
  SessionActivity activity_;
  bool registered_ = false;
};

}  // namespace

asio::awaitable<void> run_client_session(asio::ip::tcp::socket socket, SessionContext& context) {
  struct Connected {
    explicit Connected(FrontendCounters& c) : counters(c) {
      counters.client_connections_created.fetch_add(1, std::memory_order_relaxed);
      counters.client_connections_connected.fetch_add(1, std::memory_order_relaxed);
    }
    ~Connected() { counters.client_connections_connected.fetch_sub(1, std::memory_order_relaxed); }
    FrontendCounters& counters;
  } connected(context.counters);
  ClientSession session(std::move(socket), context);
  co_await session.run();
}

}  // namespace gp::frontend
