// One GenAI engine thread: an Asio event loop (epoll) that drives one libcurl
// multi handle through curl_multi_socket_action, so each wakeup costs work
// for the sockets that are ready, not for every transfer in flight. Other
// threads post jobs and cancellations to it. One thread holds any number of
// transfers; easy handles and connections are reused across requests.
#pragma once

#include <curl/curl.h>
#include <simdjson.h>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "genai/job.h"

namespace gp::genai {

// One upstream HTTP request: a whole job or one batch of its documents.
struct SocketWatch;

struct Transfer {
  std::shared_ptr<Job> job;
  size_t offset = 0;  // first document of this batch
  size_t count = 0;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string body;
  std::string response;
  bool too_large = false;
  char error[CURL_ERROR_SIZE] = {};
};

class HttpWorker {
 public:
  // `host_connections` caps connections per service host on this thread.
  HttpWorker(std::shared_ptr<EngineCore> core, long host_connections);
  ~HttpWorker();
  HttpWorker(const HttpWorker&) = delete;
  HttpWorker& operator=(const HttpWorker&) = delete;

  void start();

  // Any thread. False when the thread has exited (retired or stopped): the
  // caller then completes the job itself.
  bool post_run(std::shared_ptr<Job> job);
  bool post_cancel(std::shared_ptr<Job> job);

  // Any thread. retire(): exit once every job assigned here has finished.
  // stop(): exit now, failing every job with "module unavailable".
  void retire();
  void stop();
  void join();
  bool exited() const { return exited_.load(std::memory_order_acquire); }

  // Jobs assigned to this thread and not finished (including those waiting
  // for document_from_sql). Incremented by the submitter.
  std::atomic<int64_t> active_jobs{0};
  void job_released();

  // Engine thread only.
  Result<void> add_transfer(const std::shared_ptr<Job>& job, size_t offset, size_t count,
                            std::string body);
  void cancel_transfers(Job& job);
  void track(const std::shared_ptr<Job>& job) { jobs_.emplace(job.get(), job); }
  void untrack(Job* job) { jobs_.erase(job); }
  simdjson::dom::parser& parser() { return parser_; }
  void apply_limits(long host_connections);
  const std::shared_ptr<EngineCore>& core() const { return core_; }

 private:
  enum class TaskKind { kRun, kCancel };
  struct Task {
    TaskKind kind;
    std::shared_ptr<Job> job;
  };

  bool post(Task task);
  void post_check();  // wakes the loop to look at stop/retire flags
  // Queues `task` (if any) and wakes the loop unless a wakeup is pending.
  bool schedule(Task* task);
  void run();
  void drain_inbox();
  void close_loop(std::vector<Task>& pending);
  // libcurl callbacks (CURLMOPT_SOCKETFUNCTION, CURLMOPT_TIMERFUNCTION).
  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socketp);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  void arm(const std::shared_ptr<SocketWatch>& watch);
  void arm_timer(std::chrono::steady_clock::time_point when);
  void socket_action(curl_socket_t fd, int events);
  void drain_messages();
  void complete(Transfer* transfer, CURLcode code);
  void detach(Transfer* transfer);
  void shutdown(std::vector<Task>& pending);
  CURL* acquire_easy();
  void release_easy(CURL* easy);

  std::shared_ptr<EngineCore> core_;
  // Declared before everything that holds Asio objects bound to it.
  asio::io_context io_{1};
  asio::steady_timer timer_{io_};
  CURLM* multi_ = nullptr;
  std::thread thread_;
  long host_connections_ = 0;

  std::mutex mutex_;
  std::vector<Task> inbox_;
  bool check_posted_ = false;
  bool closed_ = false;
  bool stopping_ = false;
  std::atomic<bool> retiring_{false};
  std::atomic<bool> exited_{false};

  // Engine thread only.
  std::unordered_map<Job*, std::shared_ptr<Job>> jobs_;
  std::unordered_map<Transfer*, std::unique_ptr<Transfer>> transfers_;
  std::unordered_map<curl_socket_t, std::shared_ptr<SocketWatch>> sockets_;
  std::optional<std::chrono::steady_clock::time_point> curl_deadline_;
  bool timer_armed_ = false;
  bool timeout_posted_ = false;
  std::vector<CURL*> idle_easy_;
  simdjson::dom::parser parser_;
};

}  // namespace gp::genai
