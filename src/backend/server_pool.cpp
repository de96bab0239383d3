#include "backend/server_pool.h"

#include <vector>

namespace gp::backend {

ServerPool::ServerPool(MysqlServer config) : config_(std::move(config)) {}

bool ServerPool::same_server(const MysqlServer& other) const {
  std::lock_guard lock(mutex_);
  return config_.hostgroup_id == other.hostgroup_id && config_.hostname == other.hostname &&
         config_.port == other.port;
}

MysqlServer ServerPool::config() const {
  std::lock_guard lock(mutex_);
  return config_;
}

void ServerPool::update(MysqlServer config) {
  std::lock_guard lock(mutex_);
  config_ = std::move(config);
}

void ServerPool::retire() {
  retired_.store(true);
  expire(Clock::now(), {}, {}, true);
}

bool ServerPool::selectable(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  if (config_.status != "ONLINE" && config_.status != "SHUNNED") return false;
  if (config_.weight <= 0) return false;
  return !shunned_until_ || *shunned_until_ <= now;
}

std::string ServerPool::status(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  if (shunned_until_ && config_.status == "ONLINE") return "SHUNNED";
  return config_.status;
}

void ServerPool::shun(Clock::time_point until) {
  std::vector<IdleConnection> dropped;
  std::lock_guard lock(mutex_);
  shunned_until_ = until;
  // Idle connections of a server that just failed are suspect too.
  for (auto& c : idle_) dropped.push_back(std::move(c));
  idle_.clear();
}

void ServerPool::mark_healthy() {
  std::lock_guard lock(mutex_);
  shunned_until_.reset();
}

std::optional<IdleConnection> ServerPool::take_idle(const ConnectionKey& key,
                                                    const std::string& schema) {
  std::vector<IdleConnection> dead;
  std::optional<IdleConnection> found;
  {
    std::lock_guard lock(mutex_);
    auto best = idle_.end();
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
      const auto& s = it->state();
      if (!(s.key == key)) continue;
      if (s.schema_known && s.schema == schema) {
        best = it;
        break;
      }
      // A connection can be moved to another schema, never to none.
      if (best == idle_.end() && !schema.empty()) best = it;
    }
    if (best != idle_.end()) {
      found.emplace(std::move(*best));
      idle_.erase(best);
    }
  }
  // Checked outside the lock: a syscall per candidate.
  if (found && !found->alive()) {
    dead.push_back(std::move(*found));
    found.reset();
  }
  return found;
}

void ServerPool::drop_one_idle() {
  std::optional<IdleConnection> dropped;
  std::lock_guard lock(mutex_);
  if (idle_.empty()) return;
  dropped.emplace(std::move(idle_.back()));
  idle_.pop_back();
}

void ServerPool::put_idle(IdleConnection conn, size_t max_idle) {
  std::lock_guard lock(mutex_);
  if (retired_.load() || shunned_until_ || idle_.size() + warm_.load() >= max_idle) return;
  conn.state().last_used = Clock::now();
  // Most recently used first: warm connections are reused, cold ones age out.
  idle_.push_front(std::move(conn));
}

void ServerPool::expire(Clock::time_point now, Clock::duration idle_timeout,
                        Clock::duration max_age, bool all, size_t keep,
                        Clock::duration trim_after) {
  std::vector<IdleConnection> dropped;
  {
    std::lock_guard lock(mutex_);
    // Most recently used first: beyond `keep`, the ones at the back rested longest.
    size_t position = warm_.load();
    for (auto it = idle_.begin(); it != idle_.end();) {
      const auto& s = it->state();
      bool too_old = max_age.count() > 0 && now - s.created >= max_age;
      bool idle_too_long = idle_timeout.count() > 0 && now - s.last_used >= idle_timeout;
      bool surplus = ++position > keep && now - s.last_used >= trim_after;
      if (all || too_old || idle_too_long || surplus) {
        dropped.push_back(std::move(*it));
        it = idle_.erase(it);
      } else {
        ++it;
      }
    }
  }
}

bool ServerPool::reserve_slot() {
  size_t max;
  {
    std::lock_guard lock(mutex_);
    max = static_cast<size_t>(std::max(config_.max_connections, 0));
  }
  size_t current = total_.load();
  while (current < max) {
    if (total_.compare_exchange_weak(current, current + 1)) return true;
  }
  return false;
}

size_t ServerPool::idle_count() const {
  std::lock_guard lock(mutex_);
  return idle_.size() + warm_.load();
}

void ServerPool::on_checkout() {
  uint64_t used = counters_.conn_used.fetch_add(1) + 1;
  uint64_t max = counters_.max_conn_used.load();
  while (used > max && !counters_.max_conn_used.compare_exchange_weak(max, used)) {
  }
}

}  // namespace gp::backend
