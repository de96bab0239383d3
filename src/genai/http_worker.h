// One GenAI engine thread: an event loop over one libcurl multi handle
// (curl_multi_poll), woken by curl_multi_wakeup when another thread posts a
// job or a cancellation. One thread holds any number of transfers; easy
// handles and connections are reused across requests.
#pragma once

#include <curl/curl.h>
#include <simdjson.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "genai/job.h"

namespace gp::genai {

// One upstream HTTP request: a whole job or one batch of its documents.
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
  void run();
  void drain_messages();
  void complete(Transfer* transfer, CURLcode code);
  void detach(Transfer* transfer);
  void shutdown(std::vector<Task>& pending);
  CURL* acquire_easy();
  void release_easy(CURL* easy);

  std::shared_ptr<EngineCore> core_;
  CURLM* multi_ = nullptr;
  std::thread thread_;
  long host_connections_ = 0;

  std::mutex mutex_;
  std::vector<Task> inbox_;
  bool closed_ = false;
  bool stopping_ = false;
  std::atomic<bool> retiring_{false};
  std::atomic<bool> exited_{false};

  // Engine thread only.
  std::unordered_map<Job*, std::shared_ptr<Job>> jobs_;
  std::unordered_map<Transfer*, std::unique_ptr<Transfer>> transfers_;
  std::vector<CURL*> idle_easy_;
  simdjson::dom::parser parser_;
};

}  // namespace gp::genai
