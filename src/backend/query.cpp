// BackendSession::query: one statement whose first result set is collected
// as values (document_from_sql), on the session's backend connection.
#include "backend/session_impl.h"
#include "core/coroutine_warnings.h"
#include "mysql/messages.h"
#include "mysql/protocol.h"
#include "mysql/resultset.h"

namespace gp::backend {

namespace {

using mysql::Command;

std::unexpected<Error> malformed(const Error& e) {
  return make_error(errc::kBackendMalformedPacket, "Malformed packet from backend: " + e.message);
}

}  // namespace

bool ends_result(std::string_view packet) {
  return !packet.empty() && static_cast<uint8_t>(packet[0]) == 0xfe &&
         packet.size() < mysql::kMaxPacketPayload;
}

void read_status(std::string_view packet, uint32_t caps, StatementOutcome& outcome) {
  if (static_cast<uint8_t>(packet[0]) == 0x00 || (caps & mysql::cap::kDeprecateEof)) {
    if (auto ok = mysql::parse_ok(packet, caps)) {
      outcome.status = ok->status_flags;
      outcome.last_insert_id = ok->last_insert_id;
      outcome.warnings = ok->warnings;
    }
  } else if (auto eof = mysql::parse_eof(packet)) {
    outcome.status = eof->status_flags;
    outcome.warnings = eof->warnings;
  }
}

asio::awaitable<Result<CollectedResult>> collect_result(BackendConnection& conn) {
  CollectedResult out;
  uint32_t caps = conn.state().capabilities;
  bool deprecate_eof = (caps & mysql::cap::kDeprecateEof) != 0;
  bool first = true;
  uint8_t seq = 0;
  for (;;) {
    auto head = co_await conn.read_packet(seq);
    if (!head) co_return std::unexpected(head.error());
    if (head->empty())
      co_return make_error(errc::kBackendMalformedPacket, "Malformed packet from backend: empty");
    uint8_t h = static_cast<uint8_t>((*head)[0]);
    if (h == 0xff) {
      auto err = mysql::parse_err(*head, caps);
      if (!err) co_return malformed(err.error());
      out.server_error = *err;
      out.outcome.ok = false;
      co_return out;
    }
    if (h == 0x00) {
      read_status(*head, caps, out.outcome);
      if (first) {
        if (auto ok = mysql::parse_ok(*head, caps)) out.result.affected_rows = ok->affected_rows;
      }
    } else if (h == 0xfb) {
      conn.mark_broken();
      co_return make_error(errc::kNotAllowedCommand,
                           "LOAD DATA LOCAL INFILE is not supported by genaiproxy");
    } else {
      auto count = mysql::parse_column_count(*head);
      if (!count) co_return malformed(count.error());
      for (uint64_t i = 0; i < *count; ++i) {
        auto def = co_await conn.read_packet(seq);
        if (!def) co_return std::unexpected(def.error());
        if (!first) continue;
        auto column = mysql::parse_column_definition(*def);
        if (!column) co_return malformed(column.error());
        out.result.columns.push_back(std::move(*column));
      }
      if (!deprecate_eof) {
        auto eof = co_await conn.read_packet(seq);
        if (!eof) co_return std::unexpected(eof.error());
      }
      for (;;) {
        auto row = co_await conn.read_packet(seq);
        if (!row) co_return std::unexpected(row.error());
        if (!row->empty() && static_cast<uint8_t>((*row)[0]) == 0xff) {
          auto err = mysql::parse_err(*row, caps);
          if (!err) co_return malformed(err.error());
          out.server_error = *err;
          out.outcome.ok = false;
          co_return out;
        }
        if (ends_result(*row)) {
          read_status(*row, caps, out.outcome);
          out.result.warnings = out.outcome.warnings;
          break;
        }
        if (!first) continue;
        auto values = mysql::parse_text_row(*row, static_cast<size_t>(*count));
        if (!values) co_return malformed(values.error());
        out.result.rows.push_back(std::move(*values));
      }
      first = false;
    }
    if (!out.outcome.status || !(*out.outcome.status & mysql::status::kMoreResultsExist)) break;
  }
  co_return out;
}

asio::awaitable<Result<mysql::ResultSet>> BackendSession::query(std::string sql) {
  auto& s = *impl_;
  if (auto ready = co_await s.ensure_connection(); !ready) co_return std::unexpected(ready.error());
  auto traits = classify_statement(sql);
  auto& conn = *s.conn;
  auto& counters = s.backends->counters();
  auto server = conn.state().server;
  std::string command = std::string(1, static_cast<char>(Command::kQuery)) + sql;
  counters.questions.fetch_add(1);
  counters.bytes_sent.fetch_add(command.size() + 4);
  if (server) {
    server->counters().queries.fetch_add(1);
    server->counters().bytes_sent.fetch_add(command.size() + 4);
  }
  auto started = Clock::now();
  conn.deadline().arm(s.query_timeout(), conn.socket());
  Result<CollectedResult> collected = make_error(errc::kBackendLost, "");
  if (co_await conn.send_command(command)) {
    collected = make_error(errc::kBackendLost, "lost connection while sending");
  } else {
    collected = co_await collect_result(conn);
  }
  conn.deadline().disarm();
  auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started);
  counters.backend_query_time_nsec.fetch_add(static_cast<uint64_t>(elapsed.count()));
  if (!collected) {
    std::string name = s.server_name();
    Error err = collected.error();
    if (conn.deadline().expired()) {
      counters.query_timeouts.fetch_add(1);
      s.backends->kill_connection(s.executor, conn.state(), s.user, s.client.password_sha1);
      err =
          Error::make(errc::kQueryTimeout,
                      "Query execution was interrupted: it exceeded mysql-default_query_timeout (" +
                          std::to_string(s.query_timeout().count()) + " ms) on backend " + name);
    } else if (err.code == errc::kBackendLost) {
      counters.backend_lost.fetch_add(1);
      err.message = "Lost connection to backend server " + name + " during query";
    }
    s.connection_failed();
    co_return std::unexpected(err);
  }
  s.after_statement(static_cast<uint8_t>(Command::kQuery), sql, traits, collected->outcome);
  if (collected->server_error) co_return std::unexpected(*collected->server_error);
  co_return std::move(collected->result);
}

}  // namespace gp::backend
