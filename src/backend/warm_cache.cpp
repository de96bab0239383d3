#include "backend/warm_cache.h"

#include <asio/execution/context.hpp>
#include <asio/io_context.hpp>
#include <asio/query.hpp>

#include "backend/server_pool.h"

namespace gp::backend {

asio::execution_context::id WarmCache::id;

namespace {

// Every loop's cache, for steal(). Locked before any cache's own mutex.
std::mutex registry_mutex;
std::vector<WarmCache*> registry;

}  // namespace

WarmCache::WarmCache(asio::execution_context& context) : asio::execution_context::service(context) {
  std::lock_guard lock(registry_mutex);
  registry.push_back(this);
}

WarmCache::~WarmCache() {
  {
    std::lock_guard lock(registry_mutex);
    std::erase(registry, this);
  }
  clear();
}

std::unique_ptr<BackendConnection> WarmCache::steal(const ServerPool* server,
                                                    const ConnectionKey* key,
                                                    const WarmCache* except) {
  std::lock_guard registry_lock(registry_mutex);
  for (WarmCache* cache : registry) {
    if (cache == except) continue;
    std::lock_guard lock(cache->mutex_);
    for (size_t i = cache->conns_.size(); i-- > 0;) {
      auto& s = cache->conns_[i]->state();
      if (s.server.get() != server || (key && !(s.key == *key))) continue;
      auto found = std::move(cache->conns_[i]);
      cache->conns_.erase(cache->conns_.begin() + static_cast<long>(i));
      found->state().server->on_unwarm();
      return found;
    }
  }
  return nullptr;
}

void WarmCache::shutdown() {
  clear();
}

void WarmCache::clear() {
  std::vector<std::unique_ptr<BackendConnection>> gone;
  {
    std::lock_guard lock(mutex_);
    gone.swap(conns_);
  }
  for (auto& c : gone) c->state().server->on_unwarm();
}

WarmCache* WarmCache::of(const asio::any_io_executor& executor) {
  const auto* io = executor.target<asio::io_context::executor_type>();
  if (io == nullptr) return nullptr;
  return &asio::use_service<WarmCache>(io->context());
}

std::unique_ptr<BackendConnection> WarmCache::take(
    const ServerPool* server, const ConnectionKey& key, const std::string& schema,
    const asio::any_io_executor& executor, Clock::duration max_age, Clock::duration idle_timeout) {
  auto now = Clock::now();
  std::vector<std::unique_ptr<BackendConnection>> expired;
  std::unique_ptr<BackendConnection> found;
  std::lock_guard lock(mutex_);
  // Newest last and taken first, so that the oldest age out; one on the
  // client's schema is preferred, then one to switch.
  size_t exact = conns_.size();
  for (size_t i = conns_.size(); i-- > 0;) {
    auto& s = conns_[i]->state();
    if (s.server.get() == server && s.key == key && s.schema_known && s.schema == schema) {
      exact = i;
      break;
    }
  }
  for (size_t i = conns_.size(); i-- > 0 && !found;) {
    auto& s = conns_[i]->state();
    bool stale = (max_age.count() > 0 && now - s.created >= max_age) ||
                 now - s.last_used >= idle_timeout || s.server->retired() ||
                 !s.server->selectable(now);
    bool match = !stale && s.server.get() == server && s.key == key &&
                 (i == exact || (exact == conns_.size() && !schema.empty())) &&
                 conns_[i]->socket().get_executor() == executor;
    if (match && !conns_[i]->idle_alive()) {
      // Killed, or timed out by the server, while it waited here.
      stale = true;
      match = false;
    }
    if (!stale && !match) continue;
    s.server->on_unwarm();
    (stale ? expired.emplace_back() : found) = std::move(conns_[i]);
    conns_.erase(conns_.begin() + static_cast<long>(i));
  }
  return found;
}

bool WarmCache::put(std::unique_ptr<BackendConnection>& conn, size_t limit) {
  const ServerPool* server = conn->state().server.get();
  std::lock_guard lock(mutex_);
  size_t same = 0;
  for (const auto& c : conns_) same += c->state().server.get() == server;
  if (same >= limit) return false;
  conn->state().last_used = Clock::now();
  conn->state().server->on_warm();
  conns_.push_back(std::move(conn));
  return true;
}

}  // namespace gp::backend
