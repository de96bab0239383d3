// One backend server of a hostgroup: its configuration, health (ONLINE or
// SHUNNED until a recovery time), idle connections and counters. Shared by all
// network threads: the idle list is under a mutex, counters are atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "backend/connection.h"
#include "core/config.h"

namespace gp::backend {

struct ServerCounters {
  std::atomic<uint64_t> conn_used{0};
  std::atomic<uint64_t> conn_ok{0};
  std::atomic<uint64_t> conn_err{0};
  std::atomic<uint64_t> max_conn_used{0};
  std::atomic<uint64_t> queries{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> bytes_recv{0};
  std::atomic<uint64_t> latency_us{0};  // last connect + handshake time
  std::atomic<uint64_t> conn_tls{0};    // of conn_ok: opened with TLS
};

class ServerPool {
 public:
  explicit ServerPool(MysqlServer config);

  // Identity: a server is (hostgroup, hostname, port).
  bool same_server(const MysqlServer& other) const;

  MysqlServer config() const;
  void update(MysqlServer config);
  // Removed from the configuration: idle connections go, busy ones are closed
  // when their clients let go of them.
  void retire();
  bool retired() const { return retired_.load(); }

  // ONLINE, or SHUNNED with its recovery time passed (the next attempt tests it).
  bool selectable(Clock::time_point now) const;
  // The status shown in stats (SHUNNED while a failure is recent).
  std::string status(Clock::time_point now) const;
  void shun(Clock::time_point until);
  void mark_healthy();

  // An idle connection for `key`: preferably one already on `schema`; one on
  // another known schema otherwise (the caller switches it), when `schema`
  // is not empty. Dead connections found on the way are dropped.
  std::optional<IdleConnection> take_idle(const ConnectionKey& key, const std::string& schema);
  // Keeps `conn` idle unless the pool already holds `max_idle`.
  void put_idle(IdleConnection conn, size_t max_idle);
  // Closes the idle connection that rested longest, of any key: room for a
  // client no idle connection suits when the server is at max_connections.
  void drop_one_idle();
  // Drops idle connections idle longer than `idle_timeout` or older than
  // `max_age` (0: no limit), and all of them when `all`.
  // Beyond `keep` idle connections, those unused for `trim_after` go too.
  void expire(Clock::time_point now, Clock::duration idle_timeout, Clock::duration max_age,
              bool all = false, size_t keep = SIZE_MAX, Clock::duration trim_after = {});

  // A connection slot (max_connections counts busy, idle and connecting).
  bool reserve_slot();
  void on_closed() { total_.fetch_sub(1); }
  size_t total() const { return total_.load(); }
  size_t idle_count() const;  // pooled and warm
  // Connections kept idle in a network thread's WarmCache.
  void on_warm() { warm_.fetch_add(1); }
  void on_unwarm() { warm_.fetch_sub(1); }

  void on_checkout();
  void on_checkin() { counters_.conn_used.fetch_sub(1); }
  ServerCounters& counters() { return counters_; }
  const ServerCounters& counters() const { return counters_; }

 private:
  mutable std::mutex mutex_;
  MysqlServer config_;
  std::optional<Clock::time_point> shunned_until_;
  std::deque<IdleConnection> idle_;
  std::atomic<size_t> total_{0};
  std::atomic<size_t> warm_{0};
  std::atomic<bool> retired_{false};
  ServerCounters counters_;
};

}  // namespace gp::backend
