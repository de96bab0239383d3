// Prepared statements that do not pin a connection: each connection keeps
// the statements it prepared by their text, and a client's statement is
// prepared again on a connection that has not seen it.
#include <algorithm>

#include "backend/session_impl.h"
#include "core/coroutine_warnings.h"
#include "mysql/messages.h"
#include "mysql/packet.h"
#include "mysql/prepared.h"
#include "mysql/protocol.h"

namespace gp::backend {

namespace {

using mysql::Command;

// COM_STMT_EXECUTE: command, id (4), flags (1), iteration count (4).
constexpr size_t kExecuteHeader = 10;

// The execute as the connection's statement `id` must receive it: its id,
// and the parameter types the client bound on an earlier execute when this
// connection's statement has never received them.
void prepare_packet(std::string& packet, PreparedText& statement, CachedStatement& cached) {
  mysql::set_statement_id(packet, cached.id);
  if (statement.params == 0) return;
  size_t bound_at = kExecuteHeader + (statement.params + 7) / 8;
  if (packet.size() <= bound_at) return;  // malformed: the server says so
  size_t types_size = 2 * static_cast<size_t>(statement.params);
  if (packet[bound_at] == 1) {
    if (packet.size() >= bound_at + 1 + types_size) {
      statement.types = packet.substr(bound_at + 1, types_size);
      cached.typed = true;
    }
  } else if (!cached.typed && statement.types.size() == types_size) {
    packet[bound_at] = 1;
    packet.insert(bound_at + 1, statement.types);
    cached.typed = true;
  }
}

}  // namespace

void remember_statement(ConnectionState& state, std::string text, CachedStatement statement) {
  statement.last_used = ++state.statement_clock;
  auto [at, added] = state.statements.try_emplace(std::move(text), statement);
  if (!added) {
    // Prepared again (a prepare the client sees): the older one is closed.
    if (at->second.id != statement.id) state.pending_close.push_back(at->second.id);
    at->second = statement;
  }
  if (state.statements.size() <= kStatementsPerConnection) return;
  auto oldest = std::min_element(
      state.statements.begin(), state.statements.end(),
      [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
  state.pending_close.push_back(oldest->second.id);
  state.statements.erase(oldest);
}

asio::awaitable<Result<uint32_t>> BackendSession::Impl::statement_on_connection(
    PreparedText& statement, BackendSession::PrepareAnswer* answer) {
  auto& state = conn->state();
  std::string key = statement_key(statement);
  auto found = state.statements.find(key);
  if (found != state.statements.end() && !answer) {
    found->second.last_used = ++state.statement_clock;
    co_return found->second.id;
  }
  auto fail = [&](std::string what) -> Result<uint32_t> {
    conn->deadline().disarm();
    backends->counters().backend_lost.fetch_add(1);
    std::string name = server_name();
    connection_failed();
    return make_error(errc::kBackendUnavailable, "Lost connection to backend server " + name +
                                                     " while preparing a statement: " + what);
  };
  conn->deadline().arm(query_timeout(), conn->socket());
  for (uint32_t id : state.pending_close) {
    std::string close(1, static_cast<char>(Command::kStmtClose));
    mysql::put_int4(close, id);
    if (co_await conn->send_command(close)) co_return fail("write failed");
  }
  state.pending_close.clear();
  // A statement keeps resolving names in the schema it was prepared in, as
  // on a direct connection: prepared again there, then back.
  std::string here = state.schema;
  bool elsewhere = !statement.schema.empty() && statement.schema != here;
  if (elsewhere) {
    auto answer = co_await conn->simple_command("\x02" + statement.schema);
    if (!answer || !mysql::is_ok_packet(*answer)) co_return fail("COM_INIT_DB failed");
  }
  std::string command = std::string(1, static_cast<char>(Command::kStmtPrepare)) + statement.text;
  if (co_await conn->send_command(command)) co_return fail("write failed");
  uint8_t seq = static_cast<uint8_t>(command.size() / mysql::kMaxPacketPayload + 1);
  auto first = co_await conn->read_packet(seq);
  if (!first) co_return fail(first.error().message);
  uint32_t caps = state.capabilities;
  if (!first->empty() && static_cast<uint8_t>((*first)[0]) == 0xff) {
    conn->deadline().disarm();
    if (answer) {
      answer->error = std::move(*first);
      co_return 0;
    }
    auto err = mysql::parse_err(*first, caps);
    co_return std::unexpected(err ? *err : err.error());
  }
  auto header = mysql::parse_prepare_ok_header(*first);
  if (!header) co_return fail(header.error().message);
  for (auto [count, into] : {std::pair{header->num_params, answer ? &answer->params : nullptr},
                             std::pair{header->num_columns, answer ? &answer->columns : nullptr}}) {
    if (count == 0) continue;
    for (uint16_t i = 0; i < count; ++i) {
      auto def = co_await conn->read_packet(seq);
      if (!def) co_return fail(def.error().message);
      if (into) into->push_back(std::move(*def));
    }
    if (!(caps & mysql::cap::kDeprecateEof)) {
      auto eof = co_await conn->read_packet(seq);
      if (!eof) co_return fail(eof.error().message);
    }
  }
  if (elsewhere) {
    auto back = co_await conn->simple_command("\x02" + here);
    if (!back || !mysql::is_ok_packet(*back)) co_return fail("COM_INIT_DB failed");
  }
  conn->deadline().disarm();
  if (answer) {
    answer->statement_id = header->statement_id;
    answer->warnings = header->warnings;
  }
  statement.params = header->num_params;
  remember_statement(state, key, {header->statement_id, header->num_params});
  co_return header->statement_id;
}

asio::awaitable<Result<uint32_t>> BackendSession::statement_id(PreparedText& statement) {
  auto& s = *impl_;
  if (auto ready = co_await s.ensure_connection(); !ready) co_return std::unexpected(ready.error());
  bool known = s.conn->state().statements.contains(s.statement_key(statement));
  auto id = co_await s.statement_on_connection(statement);
  if (id && !known) s.backends->counters().reprepares.fetch_add(1);
  co_return id;
}

asio::awaitable<Result<void>> BackendSession::execute(PreparedText& statement, std::string packet,
                                                      ClientStream& client) {
  auto& s = *impl_;
  if (packet.size() < kExecuteHeader) {
    co_return make_error(errc::kMalformedPacket, "Malformed packet: COM_STMT_EXECUTE truncated");
  }
  if (packet[5] != 0) {
    co_return make_error(errc::kNotSupported,
                         "Cursors (COM_STMT_EXECUTE with a cursor type) are not supported by "
                         "genaiproxy");
  }
  auto id = co_await statement_id(statement);
  if (!id) co_return std::unexpected(id.error());
  auto& cached = s.conn->state().statements[s.statement_key(statement)];
  prepare_packet(packet, statement, cached);
  for (auto& data : statement.long_data) {
    mysql::set_statement_id(data, *id);
    if (co_await s.conn->send_command(data)) {
      statement.long_data.clear();
      s.connection_failed();
      co_return make_error(errc::kBackendUnavailable,
                           "Lost connection to backend server while sending long data");
    }
  }
  statement.long_data.clear();
  co_return co_await forward(packet, client);
}

asio::awaitable<Result<BackendSession::PrepareAnswer>> BackendSession::prepare_answer(
    PreparedText& statement) {
  auto& s = *impl_;
  if (auto ready = co_await s.ensure_connection(); !ready) co_return std::unexpected(ready.error());
  statement.schema = s.schema;
  PrepareAnswer answer;
  auto id = co_await s.statement_on_connection(statement, &answer);
  if (!id) co_return std::unexpected(id.error());
  // Nothing ties the client to this connection: it goes back.
  StatementOutcome outcome;
  outcome.ok = !answer.error;
  s.after_statement(static_cast<uint8_t>(Command::kStmtPrepare), {}, StatementTraits{}, outcome);
  co_return answer;
}

}  // namespace gp::backend
