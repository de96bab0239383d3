// BackendSession::send / read_part: a response read part by part, for the
// answers the proxy rewrites before the client sees them.
#include "backend/session_impl.h"
#include "core/coroutine_warnings.h"
#include "mysql/messages.h"
#include "mysql/protocol.h"
#include "mysql/resultset.h"

namespace gp::backend {

namespace {

using mysql::Command;
using Part = BackendSession::ResponsePart;

}  // namespace

asio::awaitable<Result<void>> BackendSession::send(std::string_view command) {
  auto& s = *impl_;
  if (s.lost) co_return std::unexpected(*s.lost);
  if (auto ready = co_await s.ensure_connection(); !ready) co_return ready;
  auto& conn = *s.conn;
  Impl::Reading reading;
  reading.command = static_cast<uint8_t>(command[0]);
  if (reading.command == static_cast<uint8_t>(Command::kQuery)) {
    reading.argument = std::string(command.substr(1));
    reading.traits = classify_statement(reading.argument);
  }
  reading.seq = static_cast<uint8_t>(command.size() / mysql::kMaxPacketPayload + 1);
  reading.started = Clock::now();
  auto& counters = s.backends->counters();
  counters.questions.fetch_add(1);
  counters.bytes_sent.fetch_add(command.size() + 4);
  if (auto server = conn.state().server) {
    server->counters().queries.fetch_add(1);
    server->counters().bytes_sent.fetch_add(command.size() + 4);
  }
  conn.deadline().arm(s.query_timeout(), conn.socket());
  if (co_await conn.send_command(command)) {
    conn.deadline().disarm();
    counters.backend_lost.fetch_add(1);
    std::string name = s.server_name();
    s.connection_failed();
    co_return make_error(errc::kBackendUnavailable,
                         "Lost connection to backend server " + name + " while sending the query");
  }
  s.reading = std::move(reading);
  co_return Result<void>{};
}

asio::awaitable<Result<Part>> BackendSession::read_part() {
  auto& s = *impl_;
  if (!s.reading || !s.conn) {
    co_return make_error(errc::kUnknownError, "no backend response is being read");
  }
  auto& conn = *s.conn;
  auto& r = *s.reading;
  uint32_t caps = conn.state().capabilities;
  StatementOutcome outcome;
  Part part;
  auto finish = [&] {
    conn.deadline().disarm();
    auto elapsed =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - r.started).count();
    s.backends->counters().backend_query_time_nsec.fetch_add(static_cast<uint64_t>(elapsed));
    auto reading = std::move(*s.reading);
    s.reading.reset();
    part.last = true;
    s.after_statement(reading.command, reading.argument, reading.traits, outcome);
  };
  auto lost = [&](Error err) -> Result<Part> {
    std::string name = s.server_name();
    if (conn.deadline().expired()) {
      s.backends->counters().query_timeouts.fetch_add(1);
      s.backends->kill_connection(s.executor, conn.state(), s.user, s.client.password_sha1);
      err =
          Error::make(errc::kQueryTimeout,
                      "Query execution was interrupted: it exceeded mysql-default_query_timeout (" +
                          std::to_string(s.query_timeout().count()) + " ms) on backend " + name);
    } else if (err.code == errc::kBackendLost || err.code == errc::kBackendUnavailable) {
      s.backends->counters().backend_lost.fetch_add(1);
      err = Error::make(errc::kBackendUnavailable,
                        "Lost connection to backend server " + name + " during query");
    }
    conn.deadline().disarm();
    s.reading.reset();
    s.connection_failed();
    return std::unexpected(std::move(err));
  };

  auto packet = co_await conn.read_packet(r.seq);
  if (!packet) co_return lost(packet.error());
  s.backends->counters().bytes_recv.fetch_add(packet->size() + 4);
  if (packet->empty()) {
    co_return lost(Error::make(errc::kBackendMalformedPacket,
                               "Malformed packet from backend " + s.server_name() + ": empty"));
  }
  uint8_t head = static_cast<uint8_t>((*packet)[0]);
  if (head == 0xff) {
    part.kind = Part::Kind::kError;
    part.packet = std::move(*packet);
    outcome.ok = false;
    finish();
    co_return part;
  }
  if (r.in_rows) {
    if (!ends_result(*packet)) {
      part.kind = Part::Kind::kRow;
      part.packet = std::move(*packet);
      co_return part;
    }
    read_status(*packet, caps, outcome);
    part.kind = Part::Kind::kEnd;
    part.packet = std::move(*packet);
    r.in_rows = false;
    if (!(outcome.status && (*outcome.status & mysql::status::kMoreResultsExist))) finish();
    co_return part;
  }
  if (head == 0x00) {
    read_status(*packet, caps, outcome);
    part.kind = Part::Kind::kOk;
    part.packet = std::move(*packet);
    if (!(outcome.status && (*outcome.status & mysql::status::kMoreResultsExist))) finish();
    co_return part;
  }
  if (head == 0xfb) {
    co_return lost(Error::make(errc::kNotAllowedCommand,
                               "LOAD DATA LOCAL INFILE is not supported by genaiproxy"));
  }
  auto count = mysql::parse_column_count(*packet);
  if (!count) {
    co_return lost(Error::make(errc::kBackendMalformedPacket,
                               "Malformed packet from backend: " + count.error().message));
  }
  part.kind = Part::Kind::kColumns;
  part.columns.reserve(static_cast<size_t>(*count));
  for (uint64_t i = 0; i < *count; ++i) {
    auto def = co_await conn.read_packet(r.seq);
    if (!def) co_return lost(def.error());
    part.columns.push_back(std::move(*def));
  }
  if (!(caps & mysql::cap::kDeprecateEof)) {
    auto eof = co_await conn.read_packet(r.seq);
    if (!eof) co_return lost(eof.error());
  }
  r.in_rows = true;
  co_return part;
}

asio::awaitable<void> BackendSession::discard_response() {
  while (impl_->reading) {
    auto part = co_await read_part();
    if (!part) co_return;
  }
}

}  // namespace gp::backend
