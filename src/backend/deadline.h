// A watchdog for one socket: when armed time runs out, the socket is closed,
// so whatever the owning coroutine awaits on it completes with an error.
// Thread affinity: the socket's executor.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>

namespace gp::backend {

class Deadline {
 public:
  explicit Deadline(asio::any_io_executor executor)
      : state_(std::make_shared<State>(std::move(executor))) {}
  ~Deadline() { disarm(); }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  void arm(std::chrono::milliseconds timeout, asio::ip::tcp::socket& socket) {
    ++state_->generation;
    state_->socket = &socket;
    state_->expired = false;
    state_->timer.expires_after(timeout);
    // The handler may run after the owner is gone (a cancelled wait still
    // completes): it holds the state, not the owner, and checks the generation.
    state_->timer.async_wait([state = state_, generation = state_->generation](std::error_code ec) {
      if (ec || generation != state->generation || state->socket == nullptr) return;
      state->expired = true;
      std::error_code ignored;
      state->socket->close(ignored);
    });
  }

  void disarm() {
    ++state_->generation;
    state_->socket = nullptr;
    state_->timer.cancel();
  }

  bool expired() const { return state_->expired; }

 private:
  struct State {
    explicit State(asio::any_io_executor executor) : timer(std::move(executor)) {}
    asio::steady_timer timer;
    asio::ip::tcp::socket* socket = nullptr;
    uint64_t generation = 0;
    bool expired = false;
  };
  std::shared_ptr<State> state_;
};

}  // namespace gp::backend
