#include "genai/http_loop.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/post.hpp>
#include <utility>

#include "genai/socket_watch.h"

namespace gp::genai {
namespace {

constexpr size_t kMaxIdleEasyHandles = 256;
// An answer beyond this is refused rather than allowed to exhaust memory.
constexpr size_t kMaxAnswerBytes = size_t{1} << 30;

}  // namespace

struct HttpLoop::Transfer {
  CallId call = 0;
  size_t index = 0;  // in the call's replies
  const ServiceEndpoint* endpoint = nullptr;
  long timeout_ms = 0;
  std::string url;  // a probe's; else the endpoint's
  bool probe = false;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string body;
  std::string response;
  bool too_large = false;
  char error[CURL_ERROR_SIZE] = {};

  static size_t on_data(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t len = size * count;
    if (t->response.empty()) {
      curl_off_t expected = -1;
      curl_easy_getinfo(t->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expected);
      if (expected > 0 && static_cast<size_t>(expected) < kMaxAnswerBytes) {
        // Room for simdjson's padding too, so the answer is parsed in place.
        t->response.reserve(static_cast<size_t>(expected) + simdjson::SIMDJSON_PADDING);
      }
    }
    if (t->response.size() + len > kMaxAnswerBytes) {
      t->too_large = true;
      return 0;
    }
    t->response.append(data, len);
    return len;
  }
};

HttpLoop::HttpLoop(asio::io_context& io, std::shared_ptr<GenaiStats> stats)
    : io_(io), stats_(std::move(stats)), timer_(io), multi_(curl_multi_init()) {
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &HttpLoop::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &HttpLoop::on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  set_host_connections(64);
}

HttpLoop::~HttpLoop() {
  for (auto& [id, call] : calls_) {
    for (auto& t : call.transfers) {
      if (t->easy) {
        curl_multi_remove_handle(multi_, t->easy);
        curl_easy_cleanup(t->easy);
      }
      curl_slist_free_all(t->headers);
    }
  }
  for (CURL* e : idle_easy_) curl_easy_cleanup(e);
  curl_multi_cleanup(multi_);
  for (auto& [fd, watch] : sockets_) watch->forget();
}

void HttpLoop::set_host_connections(long host_connections) {
  host_connections = std::max(1L, host_connections);
  if (host_connections == host_connections_) return;
  host_connections_ = host_connections;
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, host_connections);
  // Two services per loop, plus room for a URI change: connections beyond
  // the cache size would be closed after each request instead of reused.
  curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, host_connections * 4);
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, host_connections * 4);
}

HttpLoop::CallId HttpLoop::perform(std::vector<HttpCall> calls, Done done) {
  CallId id = next_id_++;
  Call& call = calls_[id];
  call.done = std::move(done);
  call.replies.resize(calls.size());
  call.pending = calls.size();
  for (size_t i = 0; i < calls.size(); ++i) {
    auto t = std::make_unique<Transfer>();
    t->call = id;
    t->index = i;
    t->endpoint = calls[i].endpoint;
    t->body = std::move(calls[i].body);
    t->url = std::move(calls[i].url);
    t->probe = calls[i].probe;
    t->timeout_ms = calls[i].timeout_ms > 0 ? calls[i].timeout_ms : calls[i].endpoint->timeout_ms;
    call.transfers.push_back(std::move(t));
  }
  // Started after the call is complete: a transfer may fail at once.
  for (size_t i = 0; i < calls.size(); ++i) {
    auto it = calls_.find(id);
    if (it == calls_.end()) break;
    Transfer* t = it->second.transfers[i].get();
    if (!start(t)) {
      HttpReply& reply = it->second.replies[i];
      reply.code = CURLE_FAILED_INIT;
      reply.error = "cannot start an HTTP request";
      if (--it->second.pending == 0) finish_call(id);
    }
  }
  if (calls.empty()) finish_call(id);
  return id;
}

bool HttpLoop::start(Transfer* t) {
  const ServiceEndpoint& ep = *t->endpoint;
  t->easy = acquire_easy();
  if (!t->easy) return false;
  t->headers = curl_slist_append(t->headers, "Content-Type: application/json");
  t->headers = curl_slist_append(t->headers, "Accept: application/json");
  t->headers = curl_slist_append(t->headers, "Expect:");
  if (!ep.authorization.empty())
    t->headers = curl_slist_append(t->headers, ep.authorization.c_str());
  // So that a service's logs and counters can tell probes from statements' requests.
  if (t->probe) t->headers = curl_slist_append(t->headers, "User-Agent: genaiproxy-probe");

  CURL* e = t->easy;
  curl_easy_setopt(e, CURLOPT_URL, t->url.empty() ? ep.uri.c_str() : t->url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  if (t->probe && t->body.empty()) {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->body.size()));
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Transfer::on_data);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(e, CURLOPT_PRIVATE, t);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, t->timeout_ms);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  if (curl_multi_add_handle(multi_, e) != CURLM_OK) {
    curl_slist_free_all(t->headers);
    t->headers = nullptr;
    release_easy(e);
    t->easy = nullptr;
    return false;
  }
  stats_->upstream_requests.fetch_add(1, std::memory_order_relaxed);
  stats_->upstream_in_flight.fetch_add(1, std::memory_order_relaxed);
  stats_->bytes_sent.fetch_add(t->body.size(), std::memory_order_relaxed);
  return true;
}

void HttpLoop::cancel(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  for (auto& t : it->second.transfers) {
    detach(t.get());
    it->second.replies[t->index].code = CURLE_ABORTED_BY_CALLBACK;
  }
  finish_call(id);
}

void HttpLoop::abort_all() {
  std::vector<CallId> ids;
  for (auto& [id, call] : calls_) ids.push_back(id);
  for (CallId id : ids) cancel(id);
}

void HttpLoop::finish_call(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  Done done = std::move(it->second.done);
  std::vector<HttpReply> replies = std::move(it->second.replies);
  calls_.erase(it);
  done(std::move(replies));
}

void HttpLoop::drain_messages() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURLcode code = msg->data.result;
    char* priv = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
    complete(reinterpret_cast<Transfer*>(priv), code);
  }
}

void HttpLoop::complete(Transfer* t, CURLcode code) {
  long status = 0;
  long connects = 0;
  curl_off_t downloaded = 0;
  curl_off_t total_us = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &connects);
  curl_easy_getinfo(t->easy, CURLINFO_SIZE_DOWNLOAD_T, &downloaded);
  curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &total_us);
  curl_off_t retry_after_s = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &retry_after_s);
  if (status > 0) {
    (connects > 0 ? stats_->upstream_connections_opened : stats_->upstream_connections_reused)
        .fetch_add(1, std::memory_order_relaxed);
  }
  stats_->bytes_received.fetch_add(static_cast<uint64_t>(downloaded), std::memory_order_relaxed);
  auto it = calls_.find(t->call);
  detach(t);
  if (it == calls_.end()) return;
  HttpReply& reply = it->second.replies[t->index];
  reply.code = code;
  reply.status = status;
  reply.elapsed_ms = static_cast<long>(total_us / 1000);
  reply.too_large = t->too_large;
  reply.retry_after_ms = static_cast<long>(std::clamp<curl_off_t>(retry_after_s, 0, 86400) * 1000);
  if (code != CURLE_OK) reply.error = t->error[0] ? t->error : curl_easy_strerror(code);
  reply.body = std::move(t->response);
  if (--it->second.pending == 0) finish_call(t->call);
}

void HttpLoop::detach(Transfer* t) {
  if (!t->easy) return;
  curl_multi_remove_handle(multi_, t->easy);
  release_easy(t->easy);
  t->easy = nullptr;
  curl_slist_free_all(t->headers);
  t->headers = nullptr;
  stats_->upstream_in_flight.fetch_sub(1, std::memory_order_relaxed);
}

CURL* HttpLoop::acquire_easy() {
  if (idle_easy_.empty()) return curl_easy_init();
  CURL* e = idle_easy_.back();
  idle_easy_.pop_back();
  return e;
}

void HttpLoop::release_easy(CURL* easy) {
  if (idle_easy_.size() >= kMaxIdleEasyHandles) {
    curl_easy_cleanup(easy);
    return;
  }
  curl_easy_reset(easy);
  idle_easy_.push_back(easy);
}

int HttpLoop::on_socket(CURL*, curl_socket_t fd, int what, void* self, void*) {
  auto& loop = *static_cast<HttpLoop*>(self);
  auto it = loop.sockets_.find(fd);
  if (what == CURL_POLL_REMOVE) {
    if (it != loop.sockets_.end()) {
      it->second->removed = true;
      it->second->forget();
      loop.sockets_.erase(it);
    }
    return 0;
  }
  if (it == loop.sockets_.end()) {
    auto watch = std::make_shared<SocketWatch>(loop.io_, fd);
    if (auto ec = watch->watch()) {
      // Nothing may throw through libcurl; -1 makes it fail this handle's
      // transfers, which then get a clear "unreachable" error.
      spdlog::error("genai: cannot watch an HTTP socket: {}", ec.message());
      return -1;
    }
    it = loop.sockets_.emplace(fd, std::move(watch)).first;
  }
  it->second->wanted = what;
  loop.arm(it->second);
  return 0;
}

// Each wait covers one readiness event; it is renewed after libcurl has
// handled the socket, for as long as libcurl still wants that direction.
void HttpLoop::arm(const std::shared_ptr<SocketWatch>& watch) {
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
int HttpLoop::on_timer(CURLM*, long timeout_ms, void* self) {
  auto& loop = *static_cast<HttpLoop*>(self);
  if (timeout_ms < 0) {
    loop.curl_deadline_.reset();
    return 0;
  }
  if (timeout_ms == 0) {
    // libcurl must not be called back into from its own callback.
    loop.curl_deadline_.reset();
    if (!std::exchange(loop.timeout_posted_, true)) {
      asio::post(loop.io_, [&loop] {
        loop.timeout_posted_ = false;
        loop.socket_action(CURL_SOCKET_TIMEOUT, 0);
      });
    }
    return 0;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  loop.curl_deadline_ = deadline;
  if (!loop.timer_armed_ || deadline < loop.timer_.expiry()) loop.arm_timer(deadline);
  return 0;
}

void HttpLoop::arm_timer(std::chrono::steady_clock::time_point when) {
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

void HttpLoop::socket_action(curl_socket_t fd, int events) {
  int running = 0;
  curl_multi_socket_action(multi_, fd, events, &running);
  drain_messages();
}

}  // namespace gp::genai
