#include "frontend/frontend.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "core/listen_address.h"
#include "frontend/admin_session.h"
#include "frontend/client_session.h"
#include "frontend/session_context.h"
#include "mysql/messages.h"
#include "mysql/packet.h"
#include "mysql/protocol.h"

namespace gp::frontend {

namespace {

using asio::ip::tcp;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

Result<std::unique_ptr<tcp::acceptor>> bind_acceptor(asio::io_context& io,
                                                     const ListenAddress& address,
                                                     bool reuse_port) {
  std::error_code ec;
  auto ip = asio::ip::make_address(address.host, ec);
  if (ec) {
    return make_error(errc::kWrongValueForVar,
                      "cannot listen on '" + address.host + "': not an IP address");
  }
  tcp::endpoint endpoint(ip, address.port);
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && reuse_port) acceptor->set_option(ReusePort(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return make_error(errc::kUnknownError, "cannot listen on " + address.host + ":" +
                                               std::to_string(address.port) + ": " + ec.message());
  }
  return acceptor;
}

void log_session_end(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    spdlog::error("session ended by an unexpected error: {}", e.what());
  }
}

}  // namespace

struct Frontend::Impl {
  Impl(ConfigStore& config, MetricsRegistry& metrics, admin::Admin& admin, genai::Engine& engine,
       backend::BackendManager& backends)
      : context{config, admin, engine, backends, {}, {1}, {}, {}, {}}, metrics(metrics) {}

  SessionContext context;
  MetricsRegistry& metrics;
  std::vector<std::unique_ptr<asio::io_context>> network;  // client traffic
  // Keeps each network thread running while PROXYSQL PAUSE has closed its
  // listeners and no session is open.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  asio::io_context admin_io;  // admin interface only
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<tcp::acceptor*> client_acceptors;  // open ones, of `acceptors`
  std::mutex listeners_mutex;
  bool paused = false;
  std::chrono::steady_clock::time_point started_at = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  bool started = false;
  // Shared by every acceptor's thread; a racy read only risks one extra log line.
  std::atomic<std::chrono::steady_clock::time_point> last_accept_warning{};

  // accept() fails while the process is out of descriptors (EMFILE/ENFILE)
  // and keeps failing until one is freed: pause instead of spinning, and log
  // once per episode rather than per attempt.
  asio::awaitable<void> back_off_after_accept_error(tcp::acceptor& acceptor, std::error_code ec) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_accept_warning.load() > std::chrono::seconds(10)) {
      last_accept_warning.store(now);
      spdlog::warn("accept failed: {} (retrying every 100 ms; raise the open files limit?)",
                   ec.message());
    }
    asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
    std::error_code ignored;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }

  enum class Interface { kClient, kAdmin };

  asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, Interface interface) {
    for (;;) {
      std::error_code ec;
      tcp::socket socket =
          co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        co_await back_off_after_accept_error(acceptor, ec);
        continue;
      }
      if (interface == Interface::kAdmin) {
        asio::co_spawn(acceptor.get_executor(), run_admin_session(std::move(socket), context),
                       log_session_end);
        continue;
      }
      const auto limit = context.config.current()->mysql.max_connections;
      if (context.counters.client_connections_connected.load() >= static_cast<uint64_t>(limit)) {
        refuse_over_limit(socket, limit);
        continue;
      }
      asio::co_spawn(acceptor.get_executor(), run_client_session(std::move(socket), context),
                     log_session_end);
    }
  }

  // Answers the connection with ERR 1040 in place of a greeting, as MySQL
  // does; the packet is tiny, so a non-blocking write either fits or is dropped.
  void refuse_over_limit(tcp::socket& socket, int limit) {
    if (context.counters.client_connections_refused.fetch_add(1, std::memory_order_relaxed) %
            1000 ==
        0) {
      spdlog::warn("refusing clients: mysql-max_connections={} reached", limit);
    }
    std::string packet;
    uint8_t seq = 0;
    Error error = Error::make(errc::kTooManyConnections, "Too many connections");
    mysql::append_packet(packet, seq, mysql::encode_err(error, mysql::cap::kProtocol41));
    std::error_code ec;
    socket.non_blocking(true, ec);
    socket.write_some(asio::buffer(packet), ec);
    socket.close(ec);
  }

  void register_stats() {
    metrics.register_table("stats_mysql_global", {"Variable_Name", "Variable_Value"}, [this] {
      auto& c = context.counters;
      StatsTable t;
      auto row = [&](const char* name, const std::atomic<uint64_t>& v) {
        t.rows.push_back({name, std::to_string(v.load(std::memory_order_relaxed))});
      };
      row("Client_Connections_connected", c.client_connections_connected);
      row("Client_Connections_created", c.client_connections_created);
      row("Client_Connections_aborted", c.client_connections_aborted);
      row("Client_Connections_refused", c.client_connections_refused);
      row("Questions", c.questions);
      row("GenAI_statements", c.genai_statements);
      row("Admin_Connections_connected", c.admin_connections_connected);
      row("Client_Connections_tls", c.client_connections_tls);
      row("Com_frontend_change_user", c.change_user);
      row("Com_frontend_reset_connection", c.reset_connection);
      auto value = [&](const char* name, uint64_t v) {
        t.rows.push_back({name, std::to_string(v)});
      };
      auto uptime = std::chrono::steady_clock::now() - started_at;
      value(
          "ProxySQL_Uptime",
          static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(uptime).count()));
      value("Active_Transactions", context.sessions.active_transactions());
      value("Client_Connections_non_idle", context.sessions.non_idle());
      value("Slow_queries", context.query_stats.slow_queries());
      return t;
    });
    auto& stats = context.query_stats;
    for (bool reset : {false, true}) {
      std::string suffix = reset ? "_reset" : "";
      metrics.register_table("stats_mysql_query_digest" + suffix, QueryStats::digest_columns(),
                             [&stats, reset] { return stats.digests(reset); });
      metrics.register_table("stats_mysql_errors" + suffix, QueryStats::error_columns(),
                             [&stats, reset] { return stats.errors(reset); });
    }
    metrics.register_table("stats_mysql_commands_counters", QueryStats::command_columns(),
                           [&stats] { return stats.commands(false); });
    // TRUNCATE of a table and of its _reset twin empties both, as in ProxySQL.
    for (std::string name : {"stats_mysql_query_digest", "stats_mysql_query_digest_reset"}) {
      metrics.register_reset(name, [&stats] { stats.digests(true); });
    }
    for (std::string name : {"stats_mysql_errors", "stats_mysql_errors_reset"}) {
      metrics.register_reset(name, [&stats] { stats.errors(true); });
    }
    metrics.register_reset("stats_mysql_commands_counters", [&stats] { stats.commands(true); });
    metrics.register_table("stats_mysql_processlist", SessionRegistry::processlist_columns(),
                           [this] { return context.sessions.processlist(); });
    metrics.register_table("stats_mysql_users", SessionRegistry::users_columns(),
                           [this] { return context.sessions.users(*context.config.current()); });
  }

  // PROXYSQL PAUSE closes the client listeners; RESUME binds them again.
  Result<void> pause_listeners(bool pause) {
    std::lock_guard lock(listeners_mutex);
    if (pause == paused) return {};
    if (pause) {
      for (auto* acceptor : client_acceptors) {
        asio::post(acceptor->get_executor(), [acceptor] {
          std::error_code ec;
          acceptor->close(ec);
        });
      }
      client_acceptors.clear();
      paused = true;
      return {};
    }
    auto bound = bind_client_listeners();
    if (!bound) return bound;
    paused = false;
    return {};
  }

  // One acceptor per network thread and address (SO_REUSEPORT): the kernel
  // spreads new connections over the threads without a shared accept queue.
  Result<void> bind_client_listeners() {
    auto config = context.config.current();
    auto addresses = parse_listen_addresses(config->mysql.interfaces);
    if (!addresses) {
      Error error = std::move(addresses.error());
      error.message = "mysql-interfaces: " + error.message;
      return std::unexpected(std::move(error));
    }
    for (const auto& address : *addresses) {
      for (auto& io : network) {
        auto acceptor = bind_acceptor(*io, address, true);
        if (!acceptor) return std::unexpected(acceptor.error());
        auto& ref = **acceptor;
        // Closed acceptors stay allocated until stop(): a handler may still
        // be queued for them on their thread.
        acceptors.push_back(std::move(*acceptor));
        client_acceptors.push_back(&ref);
        asio::co_spawn(*io, accept_loop(ref, Interface::kClient), log_session_end);
      }
      spdlog::info("client interface listening on {}:{} ({} threads)", address.host, address.port,
                   network.size());
    }
    return {};
  }
};

Frontend::Frontend(ConfigStore& config, MetricsRegistry& metrics, admin::Admin& admin,
                   genai::Engine& engine, backend::BackendManager& backends)
    : impl_(std::make_unique<Impl>(config, metrics, admin, engine, backends)) {
  impl_->register_stats();
}

Frontend::~Frontend() {
  stop();
}

Result<void> Frontend::start() {
  auto config = impl_->context.config.current();
  auto admin_addresses = parse_listen_addresses(config->admin.mysql_ifaces);
  if (!admin_addresses) {
    Error error = std::move(admin_addresses.error());
    error.message = "admin-mysql_ifaces: " + error.message;
    return std::unexpected(std::move(error));
  }

  // Loaded even with TLS off on both interfaces: caching_sha2_password's
  // RSA exchange uses the key pair.
  if (auto loaded = impl_->context.reload_tls(); !loaded) {
    Error error = std::move(loaded.error());
    error.message = "TLS: " + error.message;
    return std::unexpected(std::move(error));
  }
  impl_->context.admin.set_tls_reload([this]() -> Result<void> {
    auto reloaded = impl_->context.reload_tls();
    if (!reloaded) {
      Error error = std::move(reloaded.error());
      error.message = "PROXYSQL RELOAD TLS: " + error.message + " (the current certificates stay)";
      return std::unexpected(std::move(error));
    }
    spdlog::info("TLS certificates reloaded from {} (certificate {})",
                 impl_->context.admin.datadir(), impl_->context.tls.load()->certificate_subject);
    return {};
  });
  if (auto tls = impl_->context.tls.load(); tls->generated) {
    spdlog::info("generated self-signed TLS certificates in {}", impl_->context.admin.datadir());
  }

  const int threads = std::max(1, config->mysql.threads);
  for (int i = 0; i < threads; ++i) {
    impl_->network.push_back(std::make_unique<asio::io_context>(1));
    impl_->keep_running.push_back(asio::make_work_guard(*impl_->network.back()));
  }

  if (auto bound = impl_->bind_client_listeners(); !bound) return bound;
  for (const auto& address : *admin_addresses) {
    auto acceptor = bind_acceptor(impl_->admin_io, address, false);
    if (!acceptor) return std::unexpected(acceptor.error());
    auto& ref = **acceptor;
    impl_->acceptors.push_back(std::move(*acceptor));
    asio::co_spawn(impl_->admin_io, impl_->accept_loop(ref, Impl::Interface::kAdmin),
                   log_session_end);
    spdlog::info("admin interface listening on {}:{}", address.host, address.port);
  }

  for (auto& io : impl_->network) {
    impl_->threads.emplace_back([ctx = io.get()] { ctx->run(); });
  }
  impl_->threads.emplace_back([this] { impl_->admin_io.run(); });
  impl_->started = true;
  return {};
}

Result<void> Frontend::pause_listeners(bool pause) {
  if (!impl_->started)
    return make_error(errc::kUnknownError, "the client interface is not running");
  return impl_->pause_listeners(pause);
}

void Frontend::stop_accepting() {
  if (!impl_->started) return;
  std::lock_guard lock(impl_->listeners_mutex);
  // Each acceptor belongs to its own thread: close it there.
  for (auto& acceptor : impl_->acceptors) {
    asio::post(acceptor->get_executor(), [a = acceptor.get()] {
      std::error_code ec;
      a->close(ec);
    });
  }
}

void Frontend::stop(std::chrono::milliseconds grace) {
  if (!impl_->started) return;
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (impl_->context.counters.genai_unanswered.load() > 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl_->started = false;
  for (auto& io : impl_->network) io->stop();
  impl_->admin_io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  std::error_code ec;
  for (auto& a : impl_->acceptors) a->close(ec);
}

}  // namespace gp::frontend
