#include "genai/engine_loop.h"

namespace gp::genai {

EngineLoop::EngineLoop(std::shared_ptr<GenaiStats> stats, long host_connections)
    : stats_(std::move(stats)),
      http_(std::make_unique<HttpLoop>(io_, stats_)),
      batcher_(std::make_unique<EmbedBatcher>(io_, *stats_)),
      attempts_(std::make_unique<AttemptRunner>(io_, *http_)) {
  http_->set_host_connections(host_connections);
}

EngineLoop::~EngineLoop() {
  if (thread_.joinable()) {
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      stop();
      thread_.join();
    }
  }
  // Destroyed with the loop's thread gone: nothing runs any more.
  attempts_.reset();
  batcher_.reset();
  http_.reset();
}

void EngineLoop::start() {
  batcher_->set_loop(weak_from_this());
  stats_->threads_running.fetch_add(1, std::memory_order_relaxed);
  thread_ = std::thread([this] {
    auto work = asio::make_work_guard(io_);
    io_.run();
    stats_->threads_running.fetch_sub(1, std::memory_order_relaxed);
    exited_.store(true, std::memory_order_release);
  });
}

void EngineLoop::retire() {
  retiring_.store(true, std::memory_order_release);
  asio::post(io_, [self = shared_from_this()] {
    if (self->in_flight_.load(std::memory_order_relaxed) == 0) self->io_.stop();
  });
}

void EngineLoop::stop() {
  asio::post(io_, [self = shared_from_this()] {
    self->stopping_ = true;
    self->batcher_->abort_all(unavailable_error());
    self->attempts_->abort_all();
    self->http_->abort_all();
    self->io_.stop();
  });
}

void EngineLoop::join() {
  if (!thread_.joinable()) return;
  thread_.join();
  // A call posted after the loop stopped is still answered (aborted), so
  // that no session waits for ever.
  stopping_ = true;
  io_.restart();
  io_.poll();
}

void EngineLoop::set_host_connections(long host_connections) {
  asio::post(io_, [self = shared_from_this(), host_connections] {
    self->http_->set_host_connections(host_connections);
  });
}

}  // namespace gp::genai
