// BackendSession against a real MariaDB server.
#include <gtest/gtest.h>
#include <unistd.h>

#include <asio/steady_timer.hpp>
#include <chrono>
#include <fstream>

#include "core/coroutine_warnings.h"
#include "mysql/messages.h"
#include "mysql/resultset.h"
#include "test_support.h"

namespace gp::backend {
namespace {

using testing::Harness;
using testing::mariadb_port;

// The rows of a relayed single result (client negotiated DEPRECATE_EOF).
std::vector<mysql::Row> rows_of(const testing::Received& r) {
  auto packets = r.packets();
  std::vector<mysql::Row> rows;
  if (packets.empty()) return rows;
  auto count = mysql::parse_column_count(packets[0]);
  if (!count) return rows;
  for (size_t i = 1 + *count; i + 1 < packets.size(); ++i) {
    auto row = mysql::parse_text_row(packets[i], *count);
    if (row) rows.push_back(*row);
  }
  return rows;
}

std::string value_of(const testing::Received& r) {
  auto rows = rows_of(r);
  if (rows.empty() || rows[0].empty() || !rows[0][0]) return "<none>";
  return *rows[0][0];
}

std::optional<Error> error_of(const testing::Received& r) {
  auto packets = r.packets();
  if (packets.size() != 1 || !mysql::is_err_packet(packets[0])) return std::nullopt;
  auto e = mysql::parse_err(packets[0], mysql::cap::kProtocol41);
  return e ? std::optional<Error>(*e) : std::nullopt;
}

TEST(BackendSessionMariadb, ForwardsAndPoolsConnections) {
  int port = mariadb_port();
  ASSERT_GT(port, 0) << "MariaDB did not start";
  Harness h({Harness::server(port)});
  auto s = h.session();
  ASSERT_TRUE(h.query(*s, "SELECT 1 + 1"));
  EXPECT_EQ(value_of(h.received), "2");
  EXPECT_FALSE(s->pinned());
  EXPECT_EQ(h.pool_value("ConnUsed"), "0");
  EXPECT_EQ(h.pool_value("ConnFree"), "1");

  ASSERT_TRUE(h.query(*s, "SELECT CONNECTION_ID()"));
  std::string first_id = value_of(h.received);
  auto other = h.session();
  ASSERT_TRUE(h.query(*other, "SELECT CONNECTION_ID()"));
  EXPECT_EQ(value_of(h.received), first_id) << "the idle connection is shared";
  EXPECT_EQ(h.pool_value("ConnOK"), "1");
  EXPECT_EQ(h.pool_value("Queries"), "3");
  EXPECT_EQ(h.global_value("Backend_statements"), "3");

  // A server error is relayed as such; the session goes on.
  ASSERT_TRUE(h.query(*s, "SELECT * FROM gp_test.no_such_table"));
  auto err = error_of(h.received);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, 1146);
  ASSERT_TRUE(h.query(*s, "SELECT 'still here'"));
  EXPECT_EQ(value_of(h.received), "still here");
}

TEST(BackendSessionMariadb, TransactionsHoldTheConnectionUntilTheyEnd) {
  int port = mariadb_port();
  ASSERT_GT(port, 0);
  Harness h({Harness::server(port)});
  auto s = h.session(Harness::user(), "gp_test");
  ASSERT_TRUE(h.query(*s, "CREATE TABLE IF NOT EXISTS tx (id INT PRIMARY KEY) ENGINE=InnoDB"));
  ASSERT_TRUE(h.query(*s, "DELETE FROM tx"));
  ASSERT_TRUE(h.query(*s, "BEGIN"));
  EXPECT_EQ(h.pool_value("ConnUsed"), "1");
  ASSERT_TRUE(h.query(*s, "INSERT INTO tx VALUES (1)"));
  auto watcher = h.session(Harness::user(), "gp_test");
  ASSERT_TRUE(h.query(*watcher, "SELECT COUNT(*) FROM tx"));
  EXPECT_EQ(value_of(h.received), "0") << "uncommitted row invisible to others";
  ASSERT_TRUE(h.query(*s, "ROLLBACK"));
  EXPECT_EQ(h.pool_value("ConnUsed"), "0");
  ASSERT_TRUE(h.query(*s, "START TRANSACTION"));
  ASSERT_TRUE(h.query(*s, "INSERT INTO tx VALUES (2)"));
  ASSERT_TRUE(h.query(*s, "COMMIT"));
  ASSERT_TRUE(h.query(*watcher, "SELECT GROUP_CONCAT(id) FROM tx"));
  EXPECT_EQ(value_of(h.received), "2");
  EXPECT_FALSE(s->pinned());
}

TEST(BackendSessionMariadb, SessionStateBehavesAsOnADirectConnection) {
  int port = mariadb_port();
  ASSERT_GT(port, 0);
  Harness h({Harness::server(port)});
  auto s = h.session(Harness::user(), "gp_test");
  ASSERT_TRUE(h.query(*s, "SET @greeting = 'hello'"));
  EXPECT_TRUE(s->pinned());
  // Another client takes the only idle connection... there is none: the
  // pinned one stays with `s`.
  auto other = h.session();
  ASSERT_TRUE(h.query(*other, "SELECT @greeting"));
  auto rows = rows_of(h.received);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0][0]) << "user variables do not leak to other clients";
  ASSERT_TRUE(h.query(*s, "SELECT @greeting"));
  EXPECT_EQ(value_of(h.received), "hello");

  ASSERT_TRUE(h.query(*s, "CREATE TEMPORARY TABLE tmp_t (a INT)"));
  ASSERT_TRUE(h.query(*s, "INSERT INTO tmp_t VALUES (7)"));
  ASSERT_TRUE(h.query(*s, "SELECT a FROM tmp_t"));
  EXPECT_EQ(value_of(h.received), "7");

  // USE moves the session without pinning; a new pooled connection follows.
  auto u = h.session(Harness::user(), "gp_test");
  ASSERT_TRUE(h.query(*u, "USE mysql"));
  EXPECT_FALSE(u->pinned());
  ASSERT_TRUE(h.query(*u, "SELECT DATABASE()"));
  EXPECT_EQ(value_of(h.received), "mysql");
  auto v = h.session(Harness::user(), "gp_test");
  ASSERT_TRUE(h.query(*v, "SELECT DATABASE()"));
  EXPECT_EQ(value_of(h.received), "gp_test") << "pooled connection switched back";
  ASSERT_TRUE(h.forward(*u, std::string("\x02") + "gp_test"));  // COM_INIT_DB
  ASSERT_TRUE(h.query(*u, "SELECT DATABASE()"));
  EXPECT_EQ(value_of(h.received), "gp_test");

  // The pinned connection is reset before another client may use it.
  s.reset();
  h.run([]() -> asio::awaitable<bool> { co_return true; }());
  auto after = h.session(Harness::user(), "gp_test");
  ASSERT_TRUE(h.query(*after, "SELECT @greeting"));
  rows = rows_of(h.received);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0][0]);
}

TEST(BackendSessionMariadb, QueryCollectsTheFirstResultSet) {
  int port = mariadb_port();
  ASSERT_GT(port, 0);
  Harness h({Harness::server(port)});
  auto s = h.session();
  auto rs = h.run(s->query("SELECT 1 AS a, 'two' AS b, NULL AS c UNION ALL SELECT 3, 'four', 5"));
  ASSERT_TRUE(rs) << rs.error().message;
  ASSERT_EQ(rs->columns.size(), 3u);
  EXPECT_EQ(rs->columns[1].name, "b");
  ASSERT_EQ(rs->rows.size(), 2u);
  EXPECT_EQ(rs->rows[0][1], "two");
  EXPECT_FALSE(rs->rows[0][2]);
  EXPECT_EQ(rs->rows[1][2], "5");

  auto err = h.run(s->query("SELECT * FROM gp_test.missing_table"));
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error().code, 1146);
  EXPECT_EQ(err.error().sqlstate, "42S02");
  EXPECT_NE(err.error().message.find("missing_table"), std::string::npos);
  auto again = h.run(s->query("SELECT 42"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->rows[0][0], "42");
}

TEST(BackendSessionMariadb, PreparedStatementsPinAndRelayBinaryResults) {
  int port = mariadb_port();
  ASSERT_GT(port, 0);
  Harness h({Harness::server(port)});
  auto s = h.session();
  ASSERT_TRUE(h.forward(*s, std::string("\x16") + "SELECT ? + 1 AS n"));
  EXPECT_TRUE(s->pinned());
  auto packets = h.received.packets();
  ASSERT_FALSE(packets.empty());
  ASSERT_EQ(static_cast<uint8_t>(packets[0][0]), 0x00) << "prepare OK";
  std::string id = packets[0].substr(1, 4);
  // COM_STMT_EXECUTE: id, no cursor, 1 iteration, NULL bitmap, new-params, LONGLONG 41.
  std::string exec = "\x17" + id + std::string("\x00\x01\x00\x00\x00", 5) +
                     std::string("\x00\x01", 2) + std::string("\x08\x00", 2);
  std::string v;
  mysql::put_int8(v, 41);
  ASSERT_TRUE(h.forward(*s, exec + v));
  packets = h.received.packets();
  ASSERT_GE(packets.size(), 3u);
  EXPECT_EQ(packets.size(), 4u) << "count, definition, binary row, OK";
  ASSERT_TRUE(h.forward(*s, "\x19" + id));  // COM_STMT_CLOSE: no answer
  EXPECT_EQ(h.received.count, 0u);
  ASSERT_TRUE(h.query(*s, "SELECT 'after ps'"));
  EXPECT_EQ(value_of(h.received), "after ps");

  // Statement commands without a prepared statement get a clear error.
  auto fresh = h.session();
  auto r = h.forward(*fresh, exec + v);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 1243);
}

TEST(BackendSessionMariadb, WrongBackendPasswordIsAClearError) {
  int port = mariadb_port();
  ASSERT_GT(port, 0);
  Harness h({Harness::server(port)});
  auto s = h.session(Harness::user("app", "not-the-password"));
  auto r = h.query(*s, "SELECT 1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 1045);
  EXPECT_NE(r.error().message.find("Access denied"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos);
  EXPECT_EQ(h.pool_value("status"), "ONLINE") << "a refused login does not shun the server";
  EXPECT_EQ(h.pool_value("ConnERR"), "1");
}

TEST(BackendSessionMariadb, UnreachableServerIsShunnedAndOthersServe) {
  int port = mariadb_port();
  ASSERT_GT(port, 0);
  // A port nobody listens on (bound, never listened).
  asio::io_context tmp;
  asio::ip::tcp::acceptor closed(tmp);
  closed.open(asio::ip::tcp::v4());
  closed.bind({asio::ip::make_address("127.0.0.1"), 0});
  int dead_port = closed.local_endpoint().port();
  {
    Harness h({Harness::server(dead_port)});
    auto s = h.session();
    auto r = h.query(*s, "SELECT 1");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::kBackendUnavailable);
    EXPECT_EQ(h.pool_value("status"), "SHUNNED");
    auto again = h.query(*s, "SELECT 1");
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().message.find("SHUNNED"), std::string::npos) << again.error().message;
  }
  // With a healthy server in the same hostgroup, clients never see the dead one.
  Harness h({Harness::server(dead_port), Harness::server(port)});
  for (int i = 0; i < 6; ++i) {
    auto s = h.session();
    ASSERT_TRUE(h.query(*s, "SELECT 5"));
    EXPECT_EQ(value_of(h.received), "5");
  }
}

TEST(BackendSessionMariadb, QueryTimeoutKillsTheQueryAndKeepsTheSession) {
  int port = mariadb_port();
  ASSERT_GT(port, 0);
  MysqlSettings settings;
  settings.default_query_timeout_ms = 300;
  Harness h({Harness::server(port)}, {}, settings);
  auto s = h.session();
  auto started = std::chrono::steady_clock::now();
  auto r = h.query(*s, "SELECT SLEEP(5)");
  auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 3024);
  EXPECT_LT(elapsed, std::chrono::seconds(3));
  ASSERT_TRUE(h.query(*s, "SELECT 'alive'"));
  EXPECT_EQ(value_of(h.received), "alive");
  EXPECT_EQ(h.global_value("Backend_query_timeouts"), "1");
}

// Kills backend connection `id` through `killer` 300 ms from now, while the
// test's own statement runs. The returned timer must outlive that statement.
std::unique_ptr<asio::steady_timer> kill_connection_soon(Harness& h, BackendSession& killer,
                                                         const std::string& id) {
  auto timer = std::make_unique<asio::steady_timer>(h.io, std::chrono::milliseconds(300));
  timer->async_wait([&h, &killer, id](std::error_code) {
    asio::co_spawn(
        h.io,
        [&killer, id]() -> asio::awaitable<void> {
          std::string kill = "KILL CONNECTION " + id;
          co_await killer.query(kill);
        },
        asio::detached);
  });
  return timer;
}

TEST(BackendSessionMariadb, BackendDyingMidQueryGivesLostConnection) {
  int port = mariadb_port();
  ASSERT_GT(port, 0);
  Harness h({Harness::server(port)});
  auto s = h.session();
  ASSERT_TRUE(h.query(*s, "SET @pin = 1"));  // keeps this connection for `s`
  ASSERT_TRUE(h.query(*s, "SELECT CONNECTION_ID()"));
  std::string id = value_of(h.received);
  auto killer = h.session(Harness::user("other", "other-pw"));
  auto timer = kill_connection_soon(h, *killer, id);
  auto r = h.query(*s, "SELECT SLEEP(10)");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::kBackendLost);
  // The client read why before its session ends.
  auto err = error_of(h.received);
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("Lost connection to backend server"), std::string::npos);
  // The session's variables died with that connection: it must not silently
  // go on without them.
  auto next = h.query(*s, "SELECT @pin");
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().code, errc::kBackendLost);
}

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(BackendSessionMariadb, LargeResultsStreamInBoundedMemory) {
  int port = mariadb_port();
  ASSERT_GT(port, 0);
  Harness h({Harness::server(port)});
  auto s = h.session();
  long before = rss_kib();
  // 120 rows of 1 MB: ~120 MB relayed.
  ASSERT_TRUE(h.forward(*s, "\x03SELECT REPEAT('x', 1000000) FROM gp_test.seq_1_to_120", false));
  long after = rss_kib();
  EXPECT_GT(h.received.count, 120u * 1000000u);
  EXPECT_LT(after - before, 32 * 1024) << "RSS grew by " << (after - before) << " KiB";
  ASSERT_TRUE(h.query(*s, "SELECT 'next'"));
  EXPECT_EQ(value_of(h.received), "next");
}

TEST(BackendSessionMariadb, ConnectionsPastTheirMaxAgeAreNotReused) {
  int port = testing::mariadb_port();
  ASSERT_GT(port, 0);
  MysqlSettings settings;
  settings.connection_max_age_ms = 50;
  testing::Harness h({testing::Harness::server(port)}, {}, settings);
  auto s = h.session();
  ASSERT_TRUE(h.query(*s, "SELECT CONNECTION_ID()"));
  std::string first = value_of(h.received);
  ASSERT_TRUE(h.query(*s, "SELECT CONNECTION_ID()"));
  EXPECT_EQ(value_of(h.received), first) << "young connections are reused";
  usleep(100 * 1000);
  ASSERT_TRUE(h.query(*s, "SELECT CONNECTION_ID()"));
  EXPECT_NE(value_of(h.received), first);
  EXPECT_EQ(h.pool_value("ConnOK"), "2");
}

TEST(BackendSessionMariadb, LostConnectionWithoutSessionStateIsAnErrorAndTheSessionGoesOn) {
  int port = testing::mariadb_port();
  ASSERT_GT(port, 0);
  Harness h({Harness::server(port)});
  auto s = h.session();
  ASSERT_TRUE(h.query(*s, "SELECT CONNECTION_ID()"));
  std::string id = value_of(h.received);
  EXPECT_FALSE(s->pinned());
  auto killer = h.session(Harness::user("other", "other-pw"));
  auto timer = kill_connection_soon(h, *killer, id);
  auto r = h.query(*s, "SELECT SLEEP(10)");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::kBackendUnavailable);
  EXPECT_NE(r.error().message.find("Lost connection to backend server"), std::string::npos);
  EXPECT_EQ(h.received.count, 0u) << "the caller sends the error";
  ASSERT_TRUE(h.query(*s, "SELECT 'recovered'"));
  EXPECT_EQ(value_of(h.received), "recovered");
  EXPECT_EQ(h.global_value("Backend_connections_lost"), "1");
}

}  // namespace
}  // namespace gp::backend
