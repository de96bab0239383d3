// How an engine thread's Asio loop drives libcurl: readiness of the sockets
// libcurl asks to watch, and libcurl's timer, both become
// curl_multi_socket_action calls.
#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <chrono>
#include <utility>

#include "genai/http_worker.h"
#include "genai/socket_watch.h"

namespace gp::genai {

int HttpWorker::on_socket(CURL*, curl_socket_t fd, int what, void* self, void*) {
  auto& worker = *static_cast<HttpWorker*>(self);
  auto it = worker.sockets_.find(fd);
  if (what == CURL_POLL_REMOVE) {
    if (it != worker.sockets_.end()) {
      it->second->removed = true;
      it->second->forget();
      worker.sockets_.erase(it);
    }
    return 0;
  }
  if (it == worker.sockets_.end()) {
    auto watch = std::make_shared<SocketWatch>(worker.io_, fd);
    if (auto ec = watch->watch()) {
      // Nothing may throw through libcurl; -1 makes it fail this handle's
      // transfers, which then get a clear "unreachable" error.
      spdlog::error("genai: cannot watch an HTTP socket: {}", ec.message());
      return -1;
    }
    it = worker.sockets_.emplace(fd, std::move(watch)).first;
  }
  it->second->wanted = what;
  worker.arm(it->second);
  return 0;
}

// Each wait covers one readiness event; it is renewed after libcurl has
// handled the socket, for as long as libcurl still wants that direction.
void HttpWorker::arm(const std::shared_ptr<SocketWatch>& watch) {
  using Wait = asio::posix::stream_descriptor::wait_type;
  auto start = [&](bool& pending, int poll_bit, Wait wait, int select_bit) {
    if (pending || !(watch->wanted & poll_bit)) return;
    pending = true;
    watch->descriptor.async_wait(wait, [this, watch, &pending, select_bit](std::error_code ec) {
      pending = false;
      if (ec || watch->removed) return;
      socket_action(watch->fd, select_bit);
      if (!watch->removed) arm(watch);
    });
  };
  start(watch->reading, CURL_POLL_IN, Wait::wait_read, CURL_CSELECT_IN);
  start(watch->writing, CURL_POLL_OUT, Wait::wait_write, CURL_CSELECT_OUT);
}

// libcurl moves its deadline after nearly every socket event. Reprogramming
// the loop's timer each time costs a timerfd_settime system call, so the
// timer is moved only when the deadline comes earlier; a timer that fires
// before a later deadline is simply set again for it.
int HttpWorker::on_timer(CURLM*, long timeout_ms, void* self) {
  auto& worker = *static_cast<HttpWorker*>(self);
  if (timeout_ms < 0) {
    worker.curl_deadline_.reset();
    return 0;
  }
  if (timeout_ms == 0) {
    // libcurl must not be called back into from its own callback.
    worker.curl_deadline_.reset();
    if (!std::exchange(worker.timeout_posted_, true)) {
      asio::post(worker.io_, [&worker] {
        worker.timeout_posted_ = false;
        worker.socket_action(CURL_SOCKET_TIMEOUT, 0);
      });
    }
    return 0;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  worker.curl_deadline_ = deadline;
  if (!worker.timer_armed_ || deadline < worker.timer_.expiry()) worker.arm_timer(deadline);
  return 0;
}

void HttpWorker::arm_timer(std::chrono::steady_clock::time_point when) {
  timer_armed_ = true;
  timer_.expires_at(when);
  timer_.async_wait([this](std::error_code ec) {
    if (ec) return;  // moved earlier: a newer wait is pending
    timer_armed_ = false;
    if (!curl_deadline_) return;
    if (std::chrono::steady_clock::now() < *curl_deadline_) {
      arm_timer(*curl_deadline_);
      return;
    }
    curl_deadline_.reset();
    socket_action(CURL_SOCKET_TIMEOUT, 0);
  });
}

void HttpWorker::socket_action(curl_socket_t fd, int events) {
  int running = 0;
  curl_multi_socket_action(multi_, fd, events, &running);
  drain_messages();
}

}  // namespace gp::genai
