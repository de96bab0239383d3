// Test support for the backend: a private MariaDB (started on first use by
// tests/integration/mariadb.py) and a harness that runs a BackendSession on an
// io_context with a loopback socket pair standing for the client.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "core/config.h"
#include "core/metrics.h"
#include "mysql/packet.h"
#include "mysql/protocol.h"

namespace gp::backend::testing {

// The port of a MariaDB server shared by the tests of this process; stopped
// at exit. Users app/secret and other/other-pw exist, and database gp_test.
inline std::string mariadb_script() {
  std::filesystem::path here(__FILE__);
  return (here.parent_path().parent_path().parent_path() / "integration" / "mariadb.py").string();
}

inline int mariadb_port() {
  struct Server {
    std::string dir;
    int port = 0;
    Server() {
      char tmpl[] = "/tmp/gp-unit-mariadb-XXXXXX";
      dir = mkdtemp(tmpl);
      std::string cmd = "/usr/bin/python3 " + mariadb_script() + " start " + dir;
      FILE* p = popen(cmd.c_str(), "r");
      if (p != nullptr) {
        if (std::fscanf(p, "%d", &port) != 1) port = 0;
        pclose(p);
      }
      start_watchdog();
    }
    ~Server() { stop(dir); }
    static void stop(const std::string& dir) {
      std::string cmd = "/usr/bin/python3 " + mariadb_script() + " stop " + dir;
      [[maybe_unused]] int rc = std::system(cmd.c_str());
      std::filesystem::remove_all(dir);
    }
    // A test process that crashes or is killed runs no destructor: a child
    // waits for the end of a pipe only this process holds, then stops the
    // server, so no mariadbd outlives its tests.
    void start_watchdog() {
      int fds[2];
      if (pipe2(fds, O_CLOEXEC) != 0) return;
      pid_t child = fork();
      if (child == 0) {
        close(fds[1]);
        char byte;
        while (read(fds[0], &byte, 1) > 0) {
        }
        const std::string& target = dir;
        execl("/usr/bin/python3", "python3", mariadb_script().c_str(), "stop", target.c_str(),
              static_cast<char*>(nullptr));
        _exit(1);
      }
      close(fds[0]);  // the write end stays open until this process ends
    }
  };
  static Server server;
  return server.port;
}

// What a typical client asks for (no CLIENT_NO_SCHEMA or ODBC quirks).
constexpr uint32_t kClientCaps =
    mysql::kServerCapabilities &
    ~(mysql::cap::kConnectWithDb | mysql::cap::kNoSchema | mysql::cap::kOdbc);

struct Received {
  std::string bytes;
  uint64_t count = 0;
  // The payloads of the relayed packets.
  std::vector<std::string> packets() const {
    mysql::PacketReader reader;
    reader.feed(bytes);
    std::vector<std::string> out;
    uint8_t seq;
    while (true) {
      auto p = reader.next(seq);
      if (!p || !*p) break;
      out.push_back(std::move(**p));
    }
    return out;
  }
};

class Harness {
 public:
  explicit Harness(std::vector<MysqlServer> servers, std::vector<MysqlUser> users = {},
                   MysqlSettings mysql = {}) {
    auto cfg = std::make_shared<RuntimeConfig>();
    cfg->servers = std::move(servers);
    cfg->users = std::move(users);
    cfg->mysql = mysql;
    config.publish(cfg);
    manager = std::make_unique<BackendManager>(config, metrics);
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    client_end.connect(acceptor.local_endpoint());
    asio::ip::tcp::socket accepted(io);
    acceptor.accept(accepted);
    proxy_end.emplace(std::move(accepted));
  }

  static MysqlServer server(int port, int hostgroup = 0) {
    MysqlServer s;
    s.hostgroup_id = hostgroup;
    s.hostname = "127.0.0.1";
    s.port = port;
    return s;
  }
  static MysqlUser user(std::string name = "app", std::string password = "secret") {
    MysqlUser u;
    u.username = std::move(name);
    u.password = std::move(password);
    return u;
  }

  std::unique_ptr<BackendSession> session(MysqlUser u = user(), std::string database = {},
                                          uint32_t caps = kClientCaps) {
    ClientInfo info{u.username, caps, 45, std::move(database), ""};
    return std::make_unique<BackendSession>(*manager, io.get_executor(), u, info);
  }

  template <class T>
  T run(asio::awaitable<T> a) {
    std::optional<T> result;
    asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, T r) {
      if (e) std::rethrow_exception(e);
      result.emplace(std::move(r));
    });
    io.run();
    io.restart();
    return std::move(*result);
  }

  // Forwards one command; what reached the client is in `received`.
  Result<void> forward(BackendSession& s, std::string command, bool keep_bytes = true) {
    received = {};
    std::optional<Result<void>> result;
    // The reader starts first so that it is waiting when the forward ends.
    asio::co_spawn(
        io,
        [&, keep_bytes]() -> asio::awaitable<void> {
          std::vector<char> buf(1 << 16);
          for (;;) {
            auto [ec, n] = co_await client_end.async_read_some(
                asio::buffer(buf), asio::experimental::as_tuple(asio::use_awaitable));
            if (ec) break;
            received.count += n;
            if (keep_bytes) received.bytes.append(buf.data(), n);
          }
        },
        asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          result = co_await s.forward(command, *proxy_end);
          client_end.cancel();
        },
        asio::detached);
    io.run();
    io.restart();
    std::vector<char> buf(1 << 16);
    while (client_end.available() > 0) {
      size_t n = client_end.read_some(asio::buffer(buf));
      received.count += n;
      if (keep_bytes) received.bytes.append(buf.data(), n);
    }
    return *result;
  }

  Result<void> query(BackendSession& s, std::string sql) {
    return forward(s, std::string(1, '\x03') + sql);
  }

  std::string pool_value(const std::string& column, size_t row = 0) {
    auto t = metrics.snapshot("stats_mysql_connection_pool");
    for (size_t i = 0; i < t.columns.size(); ++i) {
      if (t.columns[i] == column && row < t.rows.size()) return t.rows[row][i];
    }
    return "?";
  }
  std::string global_value(const std::string& name) {
    auto t = metrics.snapshot("stats_mysql_global");
    for (auto& r : t.rows) {
      if (r[0] == name) return r[1];
    }
    return "?";
  }

  asio::io_context io;
  ConfigStore config;
  MetricsRegistry metrics;
  std::unique_ptr<BackendManager> manager;
  asio::ip::tcp::socket client_end{io};
  std::optional<ClientStream> proxy_end;  // the proxy's side of the client connection
  Received received;
};

}  // namespace gp::backend::testing
