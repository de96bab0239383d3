#include "backend/backends.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <fstream>
#include <random>

#include "backend/version_probe.h"
#include "backend/warm_cache.h"
#include "core/coroutine_warnings.h"
#include "mysql/messages.h"
#include "mysql/protocol.h"

namespace gp::backend {

namespace {

// How often a client waiting for a slot on full servers looks again.
constexpr std::chrono::milliseconds kSlotRetry{5};

size_t pick_weighted(const std::vector<std::shared_ptr<ServerPool>>& candidates,
                     const std::vector<int>& weights) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  int total = 0;
  for (int w : weights) total += w;
  int r = std::uniform_int_distribution<int>(0, std::max(total - 1, 0))(rng);
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (r < weights[i]) return i;
    r -= weights[i];
  }
  return candidates.size() - 1;
}

asio::awaitable<void> run_kill(asio::any_io_executor executor, ConnectParams params,
                               uint32_t thread_id) {
  ConnectionState state;  // no server: not counted in the pool
  auto conn = co_await BackendConnection::open(executor, params, std::move(state));
  if (!conn) co_return;
  (*conn)->deadline().arm(params.timeout, (*conn)->socket());
  std::string command = "\x03KILL " + std::to_string(thread_id);
  co_await (*conn)->simple_command(command);
  (*conn)->deadline().disarm();
}

}  // namespace

Backends::Backends(ConfigStore& config) : config_(config) {
  servers_.store(std::make_shared<const ServerList>());
  apply(*config.current());
  janitor_ = std::thread([this] { janitor_loop(); });
}

Backends::~Backends() {
  stop();
}

void Backends::apply(const RuntimeConfig& config) {
  std::lock_guard lock(apply_mutex_);
  auto current = servers_.load();
  auto next = std::make_shared<ServerList>();
  for (const auto& server : config.servers) {
    std::shared_ptr<ServerPool> pool;
    for (const auto& existing : *current) {
      if (existing->same_server(server)) pool = existing;
    }
    if (pool) {
      pool->update(server);
    } else {
      pool = std::make_shared<ServerPool>(server);
    }
    if (server.status == "OFFLINE_HARD") pool->expire(Clock::now(), {}, {}, true);
    next->push_back(std::move(pool));
  }
  for (const auto& existing : *current) {
    bool kept = false;
    for (const auto& pool : *next) kept = kept || pool == existing;
    if (!kept) existing->retire();
  }
  servers_.store(std::move(next));
  // A first start learns the version to announce before any client asks.
  if (server_version().empty()) janitor_cv_.notify_all();
}

asio::awaitable<Result<std::unique_ptr<BackendConnection>>> Backends::acquire(
    asio::any_io_executor executor, const MysqlUser& user, const ClientInfo& client,
    const std::string& schema) {
  if (stopped_) co_return make_error(errc::kServerShutdown, "genaiproxy is shutting down");
  auto settings = this->settings();
  ConnectionKey key{user.username, client.charset, forwarded_capabilities(client.capabilities)};
  auto deadline = Clock::now() + std::chrono::milliseconds(settings.connect_timeout_server_ms);
  std::optional<Error> last_error;
  for (;;) {
    auto list = servers();
    auto now = Clock::now();
    std::vector<std::shared_ptr<ServerPool>> candidates;
    std::vector<int> weights;
    bool any_in_hostgroup = false;
    for (const auto& s : *list) {
      auto cfg = s->config();
      if (cfg.hostgroup_id != user.default_hostgroup) continue;
      any_in_hostgroup = true;
      if (s->selectable(now)) {
        candidates.push_back(s);
        weights.push_back(cfg.weight);
      }
    }
    if (candidates.empty()) {
      counters_.get_conn_failure.fetch_add(1);
      if (last_error) co_return std::unexpected(*last_error);
      co_return make_error(errc::kBackendUnavailable,
                           any_in_hostgroup
                               ? "no ONLINE server in hostgroup " +
                                     std::to_string(user.default_hostgroup) +
                                     " (all are SHUNNED or OFFLINE)"
                               : "hostgroup " + std::to_string(user.default_hostgroup) +
                                     " has no servers (user '" + user.username + "')");
    }
    bool all_full = true;
    while (!candidates.empty()) {
      size_t i = pick_weighted(candidates, weights);
      auto server = candidates[i];
      candidates.erase(candidates.begin() + static_cast<long>(i));
      weights.erase(weights.begin() + static_cast<long>(i));

      auto max_age = std::chrono::milliseconds(std::max(settings.connection_max_age_ms, 0));
      auto* warm_cache = WarmCache::of(executor);
      std::unique_ptr<BackendConnection> reused;
      bool immediate = false;
      if (auto warm = warm_cache ? warm_cache->take(server.get(), key, schema, executor, max_age,
                                                    kIdleTimeout)
                                 : nullptr) {
        reused = std::move(warm);
        immediate = true;
      } else if (auto idle = server->take_idle(key, schema)) {
        reused = BackendConnection::adopt(std::move(*idle), executor);
        immediate = reused != nullptr;
      } else if (server->total() >=
                 static_cast<size_t>(std::max(server->config().max_connections, 0))) {
        // Full: a connection another loop keeps warm moves here, or an idle
        // one of another user or character set is closed to make room.
        if (auto stolen = WarmCache::steal(server.get(), &key, warm_cache)) {
          // A TLS connection cannot change loops: closing it makes room.
          if (stolen->idle_alive() && !stolen->is_tls()) {
            reused = BackendConnection::adopt(stolen->detach(), executor);
          }
        } else if (auto other = WarmCache::steal(server.get(), nullptr, nullptr)) {
          other->mark_broken();
        } else {
          server->drop_one_idle();
        }
      }
      if (reused) {
        all_full = false;
        if (!reused->state().schema_known || reused->state().schema != schema) {
          std::string command = "\x02" + schema;
          reused->deadline().arm(std::chrono::milliseconds(settings.connect_timeout_server_ms),
                                 reused->socket());
          auto answer = co_await reused->simple_command(command);
          reused->deadline().disarm();
          if (!answer) continue;  // the connection died: try again elsewhere
          if (mysql::is_err_packet(*answer)) {
            auto err = mysql::parse_err(*answer, reused->state().capabilities);
            server->on_checkout();
            reused->set_checked_out(true);
            release(std::move(reused));
            counters_.get_conn_failure.fetch_add(1);
            co_return std::unexpected(err ? *err : err.error());
          }
          reused->state().schema = schema;
          reused->state().schema_known = true;
        }
        server->on_checkout();
        reused->set_checked_out(true);
        counters_.get_conn_success.fetch_add(1);
        if (immediate) counters_.get_conn_immediate.fetch_add(1);
        co_return std::move(reused);
      }
      auto cfg = server->config();
      std::shared_ptr<asio::ssl::context> tls;
      if (cfg.use_ssl) {
        auto context = tls_context(settings);
        if (!context) {
          counters_.get_conn_failure.fetch_add(1);
          co_return std::unexpected(context.error());
        }
        tls = std::move(*context);
      }
      if (!server->reserve_slot()) continue;
      all_full = false;
      ConnectParams params{cfg.hostname,
                           cfg.port,
                           user.username,
                           user.password,
                           schema,
                           client.capabilities,
                           client.charset,
                           std::chrono::milliseconds(settings.connect_timeout_server_ms),
                           std::move(tls),
                           settings.ssl_p2s_ca,
                           client.password_sha1};
      ConnectionState state;
      state.server = server;
      state.key = key;
      auto opened = co_await BackendConnection::open(executor, params, std::move(state));
      if (opened) {
        counters_.connections_created.fetch_add(1);
        counters_.get_conn_success.fetch_add(1);
        server->counters().conn_ok.fetch_add(1);
        server->mark_healthy();
        server->on_checkout();
        (*opened)->set_checked_out(true);
        learn_server_version((*opened)->state().server_version);
        co_return std::move(*opened);
      }
      server->counters().conn_err.fetch_add(1);
      counters_.connections_aborted.fetch_add(1);
      if (!opened.error().server_unreachable) {
        counters_.get_conn_failure.fetch_add(1);
        co_return std::unexpected(opened.error().error);
      }
      spdlog::warn("backend {}:{} (hostgroup {}) SHUNNED for {} s: {}", cfg.hostname, cfg.port,
                   cfg.hostgroup_id, settings.shun_recovery_time_sec, opened.error().error.message);
      server->shun(Clock::now() + std::chrono::seconds(settings.shun_recovery_time_sec));
      last_error = opened.error().error;
    }
    if (!all_full || Clock::now() >= deadline) {
      counters_.get_conn_failure.fetch_add(1);
      if (last_error) co_return std::unexpected(*last_error);
      co_return make_error(errc::kBackendUnavailable,
                           "max_connections reached on every server of hostgroup " +
                               std::to_string(user.default_hostgroup) + " for " +
                               std::to_string(settings.connect_timeout_server_ms) + " ms");
    }
    asio::steady_timer timer(executor, kSlotRetry);
    std::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void Backends::release(std::unique_ptr<BackendConnection> conn) {
  if (!conn) return;
  conn->set_checked_out(false);
  auto& state = conn->state();
  auto server = state.server;
  if (!server) return;
  server->on_checkin();
  auto settings = this->settings();
  auto now = Clock::now();
  bool too_old = settings.connection_max_age_ms > 0 &&
                 now - state.created >= std::chrono::milliseconds(settings.connection_max_age_ms);
  if (stopped_ || !conn->usable() || conn->has_unread_bytes() || server->retired() || too_old ||
      (state.status_flags & mysql::status::kInTrans)) {
    return;  // closes
  }
  // Multiplexed sessions give their connection back after every statement:
  // closing it here would open a new one for the next. The pool keeps what
  // max_connections allows, and the janitor trims idle connections beyond
  // mysql-free_connections_pct once they have rested a while.
  size_t max_idle =
      std::max<size_t>(1, static_cast<size_t>(std::max(server->config().max_connections, 0)));
  auto* warm_cache = WarmCache::of(conn->socket().get_executor());
  // A TLS connection's state cannot leave this loop: it stays in the loop's
  // cache (up to what the shared pool would hold) or closes.
  size_t warm_limit = conn->is_tls() ? max_idle : WarmCache::kPerServer;
  if (warm_cache && warm_cache->put(conn, warm_limit)) return;
  if (conn->is_tls()) return;
  server->put_idle(conn->detach(), max_idle);
}

void Backends::kill_connection(asio::any_io_executor executor, const ConnectionState& state,
                               const MysqlUser& user, std::string_view password_sha1) {
  if (!state.server) return;
  auto cfg = state.server->config();
  auto settings = this->settings();
  ConnectParams params{cfg.hostname,
                       cfg.port,
                       user.username,
                       user.password,
                       "",
                       mysql::cap::kProtocol41,
                       state.key.charset,
                       std::chrono::milliseconds(settings.connect_timeout_server_ms),
                       nullptr,
                       "",
                       std::string(password_sha1)};
  if (cfg.use_ssl) {
    auto tls = tls_context(settings);
    if (!tls) return;
    params.tls = std::move(*tls);
    params.tls_ca = settings.ssl_p2s_ca;
  }
  asio::co_spawn(executor, run_kill(executor, std::move(params), state.thread_id), asio::detached);
}

void Backends::stop() {
  if (stopped_.exchange(true)) return;
  { std::lock_guard lock(janitor_mutex_); }
  janitor_cv_.notify_all();
  if (janitor_.joinable()) janitor_.join();
  auto list = servers();  // keeps the list alive during the loop
  for (const auto& s : *list) s->expire(Clock::now(), {}, {}, true);
}

void Backends::janitor_loop() {
  std::unique_lock lock(janitor_mutex_);
  while (!stopped_) {
    if (server_version().empty()) probe_version(lock);
    janitor_cv_.wait_for(lock, std::chrono::seconds(1));
    if (stopped_) break;
    auto settings = this->settings();
    auto max_age = std::chrono::milliseconds(std::max(settings.connection_max_age_ms, 0));
    auto list = servers();  // keeps the list alive during the loop
    for (const auto& s : *list) {
      auto max_conn = static_cast<size_t>(std::max(s->config().max_connections, 0));
      size_t keep = std::max<size_t>(
          1,
          max_conn * static_cast<size_t>(std::clamp(settings.free_connections_pct, 0, 100)) / 100);
      s->expire(Clock::now(), kIdleTimeout, max_age, false, keep, kTrimAfter);
    }
  }
}

}  // namespace gp::backend

namespace gp::backend {

void Backends::probe_version(std::unique_lock<std::mutex>& lock) {
  auto list = servers();
  auto timeout = std::chrono::milliseconds(settings().connect_timeout_server_ms);
  for (const auto& server : *list) {
    auto cfg = server->config();
    if (cfg.status != "ONLINE") continue;
    lock.unlock();
    std::string version = probe_server_version(cfg, timeout);
    lock.lock();
    if (stopped_) return;
    if (!version.empty()) {
      learn_server_version(version);
      return;
    }
  }
}

void Backends::remember_version_in(std::filesystem::path file) {
  std::string saved;
  if (std::ifstream in(file); in) std::getline(in, saved);
  std::lock_guard lock(version_mutex_);
  version_file_ = std::move(file);
  if (version_.empty()) version_ = saved;
}

std::string Backends::server_version() const {
  std::lock_guard lock(version_mutex_);
  return version_;
}

void Backends::learn_server_version(const std::string& version) {
  if (version.empty()) return;
  std::filesystem::path file;
  {
    std::lock_guard lock(version_mutex_);
    if (version == version_) return;
    version_ = version;
    file = version_file_;
  }
  spdlog::info("backend server version {} (advertised to clients while mysql-server_version=auto)",
               version);
  if (file.empty()) return;
  // Written once per change of version: a later start advertises it before
  // any backend connection exists.
  std::ofstream out(file, std::ios::trunc);
  out << version << "\n";
  if (!out) spdlog::warn("could not save the backend server version in {}", file.string());
}

}  // namespace gp::backend
