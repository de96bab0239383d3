#include "frontend/admin_session.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <vector>

#include "frontend/bound_statement.h"
#include "frontend/local_answers.h"
#include "frontend/packet_channel.h"
#include "frontend/server_auth.h"
#include "frontend/statements.h"
#include "mysql/messages.h"
#include "mysql/prepared.h"
#include "mysql/protocol.h"
#include "sql/sql.h"

namespace gp::frontend {

std::optional<std::string> admin_password(std::string_view credentials, std::string_view user) {
  size_t start = 0;
  while (start <= credentials.size()) {
    size_t end = credentials.find(';', start);
    if (end == std::string_view::npos) end = credentials.size();
    std::string_view pair = credentials.substr(start, end - start);
    start = end + 1;
    size_t colon = pair.find(':');
    if (colon == std::string_view::npos) continue;
    if (pair.substr(0, colon) == user) return std::string(pair.substr(colon + 1));
  }
  return std::nullopt;
}

namespace {

using mysql::Command;

class AdminSession {
 public:
  AdminSession(PacketChannel& channel, SessionContext& context, const AuthenticatedClient& client,
               admin::Access access, std::string version, uint32_t connection_id, uint16_t port)
      : channel_(channel),
        context_(context),
        access_(access),
        caps_(client.capabilities),
        user_(client.username),
        peer_(channel.peer()),
        connection_id_(connection_id),
        variables_(sql::SessionVariables::defaults(
            session_defaults(std::move(version), client.charset, 1u << 26, port))) {}

  // Returns false when the session must end.
  asio::awaitable<bool> dispatch(std::string& packet) {
    const auto command = static_cast<Command>(static_cast<uint8_t>(packet[0]));
    switch (command) {
      case Command::kQuit:
        co_return false;
      case Command::kPing:
      case Command::kInitDb:
      case Command::kResetConnection:
        queue_ok();
        break;
      case Command::kQuery:
        queue_answer(run(std::string_view(packet).substr(1)), Protocol::kText);
        break;
      case Command::kStmtPrepare:
        prepare(std::string_view(packet).substr(1));
        break;
      case Command::kStmtExecute:
        execute(packet);
        break;
      case Command::kStmtSendLongData:
      case Command::kStmtClose:
        statement_without_answer(command, packet);
        co_return true;
      case Command::kStmtReset:
        reset(packet);
        break;
      default:
        queue_error(Error::make(errc::kUnknownCommand,
                                "command " + std::to_string(static_cast<int>(packet[0])) +
                                    " is not supported on the admin interface"));
    }
    co_return !co_await channel_.flush();
  }

 private:
  enum class Protocol { kText, kBinary };

  // The admin store is SQLite: statements are short and run inline on the
  // admin thread, which serves no client traffic. What it does not know as an
  // admin statement (an unknown @@variable, a SHOW VARIABLES WHERE...) may be
  // one of the queries drivers send on connect: those get a MySQL server's
  // answer, so that JDBC, SQLAlchemy and the others can connect here too.
  Result<mysql::QueryResult> run(std::string_view sql) {
    auto result = context_.admin.execute(sql, access_);
    if (result || (result.error().code != errc::kUnknownSystemVariable &&
                   result.error().code != errc::kParseError)) {
      return result;
    }
    sql::SessionInfo info{user_, peer_, "main", connection_id_};
    auto local = sql::answer_session_query(sql, variables_, info);
    if (!local || !*local) return result;
    return std::move((*local)->result);
  }

  void prepare(std::string_view sql) {
    size_t params = count_parameters(sql);
    if (params > 0xffff) {
      queue_error(Error::make(errc::kParseError, "too many '?' parameters (at most 65535)"));
      return;
    }
    uint32_t id = statements_.next_id();
    PreparedStatement statement;
    statement.text = std::string(sql);
    statement.param_count = static_cast<uint16_t>(params);
    statements_.add(id, std::move(statement));
    mysql::PrepareOk ok;
    ok.statement_id = id;
    ok.params.assign(params, mysql::param_column());
    ok.status_flags = mysql::status::kAutocommit;
    // The columns are known only once the statement runs; the execute's
    // result set describes them.
    mysql::append_prepare_ok(channel_.out(), channel_.seq(), ok, caps_);
  }

  void execute(std::string_view packet) {
    auto id = mysql::statement_id_of(packet);
    PreparedStatement* statement = id ? statements_.find(*id) : nullptr;
    if (!statement) {
      queue_error(unknown_statement_error(id ? *id : 0, "mysqld_stmt_execute"));
      return;
    }
    auto request = mysql::parse_execute(packet, statement->param_count, statement->types,
                                        statement->long_data);
    statement->clear_long_data();
    if (!request) {
      queue_error(request.error());
      return;
    }
    statement->types = std::move(request->types);
    queue_answer(run(bind_parameters(statement->text, request->params)), Protocol::kBinary);
  }

  void statement_without_answer(Command command, std::string_view packet) {
    auto id = mysql::statement_id_of(packet);
    PreparedStatement* statement = id ? statements_.find(*id) : nullptr;
    if (!statement) return;
    if (command == Command::kStmtClose) {
      statements_.erase(*id);
      return;
    }
    if (auto data = mysql::parse_send_long_data(packet)) statement->add_long_data(*data);
  }

  void reset(std::string_view packet) {
    auto id = mysql::statement_id_of(packet);
    PreparedStatement* statement = id ? statements_.find(*id) : nullptr;
    if (!statement) {
      queue_error(unknown_statement_error(id ? *id : 0, "mysqld_stmt_reset"));
      return;
    }
    statement->clear_long_data();
    queue_ok();
  }

  void queue_answer(const Result<mysql::QueryResult>& result, Protocol protocol) {
    if (!result) {
      queue_error(result.error());
      return;
    }
    const auto* rows = std::get_if<mysql::ResultSet>(&*result);
    if (protocol == Protocol::kText || !rows) {
      mysql::append_query_result(channel_.out(), channel_.seq(), *result, caps_,
                                 mysql::status::kAutocommit);
      return;
    }
    if (mysql::append_binary_resultset(channel_.out(), channel_.seq(), *rows, caps_,
                                       mysql::status::kAutocommit)) {
      return;
    }
    // SQLite lets a value of any type sit in a column: when one does not
    // fit the column's declared type, every column goes as text.
    mysql::ResultSet as_text = *rows;
    for (auto& column : as_text.columns) column = mysql::Column::text(column.name);
    auto written = mysql::append_binary_resultset(channel_.out(), channel_.seq(), as_text, caps_,
                                                  mysql::status::kAutocommit);
    if (!written) queue_error(written.error());
  }

  void queue_ok() {
    mysql::OkPacket ok;
    ok.status_flags = mysql::status::kAutocommit;
    channel_.queue(mysql::encode_ok(ok, caps_));
  }

  void queue_error(const Error& error) { channel_.queue(mysql::encode_err(error, caps_)); }

  PacketChannel& channel_;
  SessionContext& context_;
  admin::Access access_;
  uint32_t caps_;
  std::string user_;
  std::string peer_;
  uint32_t connection_id_;
  sql::SessionVariables variables_;
  StatementRegistry statements_;
};

}  // namespace

asio::awaitable<void> run_admin_session(asio::ip::tcp::socket socket, SessionContext& context) {
  struct Connected {
    explicit Connected(FrontendCounters& c) : counters(c) {
      counters.admin_connections_connected.fetch_add(1, std::memory_order_relaxed);
    }
    ~Connected() { counters.admin_connections_connected.fetch_sub(1, std::memory_order_relaxed); }
    FrontendCounters& counters;
  } connected(context.counters);

  PacketChannel channel(std::move(socket), 1u << 26);
  auto config = context.config.current();
  std::string version = context.server_version(*config) + "-genaiproxy-admin";
  uint32_t connection_id = context.next_connection_id.fetch_add(1);
  auto tls = context.tls.load();
  GreetingOptions greeting{version, connection_id,
                           std::chrono::milliseconds(config->mysql.connect_timeout_client_ms),
                           config->admin.have_ssl ? tls->context : nullptr};
  // An admin login may do anything; a stats login (admin-stats_credentials,
  // what monitoring tools use) reads the stats schema only.
  AuthSettings auth{[&](const std::string& user) -> std::optional<StoredUser> {
                      auto settings = context.config.current()->admin;
                      auto password = admin_password(settings.admin_credentials, user);
                      if (!password) password = admin_password(settings.stats_credentials, user);
                      if (!password) return std::nullopt;
                      return StoredUser{std::move(*password), false};
                    },
                    tls->rsa_key};
  auto client = co_await authenticate_client(channel, greeting, auth);
  if (!client) co_return;
  channel.set_max_payload(1u << 26);
  std::error_code ec;
  auto local = channel.socket().local_endpoint(ec);
  auto access = admin_password(context.config.current()->admin.admin_credentials, client->username)
                    ? admin::Access::kAdmin
                    : admin::Access::kStats;
  AdminSession session(channel, context, *client, access, version, connection_id,
                       ec ? 0 : local.port());

  for (;;) {
    auto packet = co_await channel.read();
    if (!packet) {
      if (!channel.closed()) {
        channel.queue(mysql::encode_err(packet.error(), client->capabilities));
        co_await channel.flush();
        // As on the client port: let the error arrive before the close.
        co_await channel.discard_input(kDiscardOnError);
      }
      co_return;
    }
    if (packet->empty()) co_return;
    if (!co_await session.dispatch(*packet)) co_return;
  }
}

}  // namespace gp::frontend
