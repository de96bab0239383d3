#include "backend/warm_cache.h"

#include <asio/execution/context.hpp>
#include <asio/io_context.hpp>
#include <asio/query.hpp>

#include "backend/server_pool.h"

namespace gp::backend {

asio::execution_context::id WarmCache::id;

WarmCache::WarmCache(asio::execution_context& context)
    : asio::execution_context::service(context) {}

WarmCache::~WarmCache() {
  clear();
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
  // Newest last and taken first, so that the oldest age out.
  for (size_t i = conns_.size(); i-- > 0 && !found;) {
    auto& s = conns_[i]->state();
    bool stale = (max_age.count() > 0 && now - s.created >= max_age) ||
                 now - s.last_used >= idle_timeout || s.server->retired() ||
                 !s.server->selectable(now);
    bool match = !stale && s.server.get() == server && s.key == key && s.schema_known &&
                 s.schema == schema && conns_[i]->socket().get_executor() == executor;
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

bool WarmCache::put(std::unique_ptr<BackendConnection>& conn) {
  const ServerPool* server = conn->state().server.get();
  std::lock_guard lock(mutex_);
  size_t same = 0;
  for (const auto& c : conns_) same += c->state().server.get() == server;
  if (same >= kPerServer) return false;
  conn->state().last_used = Clock::now();
  conn->state().server->on_warm();
  conns_.push_back(std::move(conn));
  return true;
}

}  // namespace gp::backend
