// libcurl's multi interface driven by one Asio event loop (epoll) through
// curl_multi_socket_action: each wakeup costs work for the sockets that are
// ready, not for every transfer in flight. One loop holds any number of
// transfers; easy handles and connections are reused across requests.
#pragma once

#include <curl/curl.h>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "genai/endpoint.h"
#include "genai/stats.h"

namespace gp::genai {

struct SocketWatch;

// One upstream HTTP request.
struct HttpCall {
  const ServiceEndpoint* endpoint = nullptr;  // kept alive by the caller
  std::string body;
  long timeout_ms = 0;  // 0: the endpoint's
  // A capability probe (genai/prober.h): sent to `url` with the endpoint's
  // credential, as a GET when `body` is empty.
  std::string url = {};
  bool probe = false;
};

// How one upstream request ended.
struct HttpReply {
  CURLcode code = CURLE_OK;
  long status = 0;
  long elapsed_ms = 0;
  bool too_large = false;   // the answer passed 1 GiB and was dropped
  long retry_after_ms = 0;  // the answer's Retry-After (seconds or an HTTP date); 0: none
  std::string error;        // libcurl's message when code != CURLE_OK
  std::string body;
};

// Thread affinity: the loop's own thread, for every member.
class HttpLoop {
 public:
  using Done = std::function<void(std::vector<HttpReply>)>;
  using CallId = uint64_t;

  HttpLoop(asio::io_context& io, std::shared_ptr<GenaiStats> stats);
  ~HttpLoop();
  HttpLoop(const HttpLoop&) = delete;
  HttpLoop& operator=(const HttpLoop&) = delete;

  // Starts every call at once; `done` runs on this loop when the last one has
  // ended, with the replies in call order. Returns an id for cancel().
  CallId perform(std::vector<HttpCall> calls, Done done);
  // Aborts a call's transfers and runs its `done` at once, every reply with
  // CURLE_ABORTED_BY_CALLBACK. No effect once done.
  void cancel(CallId id);
  // Aborts everything and runs each pending `done` with `code` set to
  // CURLE_ABORTED_BY_CALLBACK (the engine is stopping).
  void abort_all();

  // Connections per service host (CURLMOPT_MAX_HOST_CONNECTIONS).
  void set_host_connections(long host_connections);

 private:
  struct Transfer;
  struct Call {
    std::vector<std::unique_ptr<Transfer>> transfers;
    std::vector<HttpReply> replies;
    size_t pending = 0;
    Done done;
  };

  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socketp);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  void arm(const std::shared_ptr<SocketWatch>& watch);
  void arm_timer(std::chrono::steady_clock::time_point when);
  void socket_action(curl_socket_t fd, int events);
  void drain_messages();
  void complete(Transfer* transfer, CURLcode code);
  void detach(Transfer* transfer);
  bool start(Transfer* transfer);
  void finish_call(CallId id);
  CURL* acquire_easy();
  void release_easy(CURL* easy);

  asio::io_context& io_;
  std::shared_ptr<GenaiStats> stats_;
  asio::steady_timer timer_;
  CURLM* multi_ = nullptr;
  long host_connections_ = 0;
  CallId next_id_ = 1;
  std::unordered_map<CallId, Call> calls_;
  std::unordered_map<curl_socket_t, std::shared_ptr<SocketWatch>> sockets_;
  std::optional<std::chrono::steady_clock::time_point> curl_deadline_;
  bool timer_armed_ = false;
  bool timeout_posted_ = false;
  std::vector<CURL*> idle_easy_;
};

}  // namespace gp::genai
