#include "genai/http_worker.h"

#include <algorithm>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>

#include "genai/errors.h"
#include "genai/job_runner.h"
#include "genai/socket_watch.h"

namespace gp::genai {
namespace {

constexpr size_t kMaxIdleEasyHandles = 256;
// An answer beyond this is refused rather than allowed to exhaust memory.
constexpr size_t kMaxAnswerBytes = size_t{1} << 30;

size_t on_data(char* data, size_t size, size_t count, void* user) {
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

}  // namespace

HttpWorker::HttpWorker(std::shared_ptr<EngineCore> core, long host_connections)
    : core_(std::move(core)), multi_(curl_multi_init()) {
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &HttpWorker::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &HttpWorker::on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  apply_limits(host_connections);
}

HttpWorker::~HttpWorker() {
  if (thread_.joinable()) {
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      stop();
      thread_.join();
    }
  }
  for (auto& [t, holder] : transfers_) {
    curl_multi_remove_handle(multi_, t->easy);
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
  }
  for (CURL* e : idle_easy_) curl_easy_cleanup(e);
  curl_multi_cleanup(multi_);
  for (auto& [fd, watch] : sockets_) watch->forget();
}

void HttpWorker::start() {
  core_->stats->threads_running.fetch_add(1, std::memory_order_relaxed);
  thread_ = std::thread([this] { run(); });
}

void HttpWorker::apply_limits(long host_connections) {
  host_connections = std::max(1L, host_connections);
  if (host_connections == host_connections_) return;
  host_connections_ = host_connections;
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, host_connections);
  // Two services per thread, plus room for a URI change: connections beyond
  // the cache size would be closed after each request instead of reused.
  curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, host_connections * 4);
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, host_connections * 4);
}

bool HttpWorker::post(Task task) {
  return schedule(&task);
}

void HttpWorker::post_check() {
  schedule(nullptr);
}

bool HttpWorker::schedule(Task* task) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    if (task) inbox_.push_back(std::move(*task));
    // One wakeup drains every task queued until it runs.
    if (std::exchange(check_posted_, true)) return true;
  }
  asio::post(io_, [this] { drain_inbox(); });
  return true;
}

bool HttpWorker::post_run(std::shared_ptr<Job> job) {
  return post({TaskKind::kRun, std::move(job)});
}

bool HttpWorker::post_cancel(std::shared_ptr<Job> job) {
  return post({TaskKind::kCancel, std::move(job)});
}

void HttpWorker::retire() {
  retiring_.store(true, std::memory_order_release);
  post_check();
}

void HttpWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  post_check();
}

void HttpWorker::join() {
  if (thread_.joinable()) thread_.join();
}

void HttpWorker::job_released() {
  if (active_jobs.fetch_sub(1, std::memory_order_acq_rel) == 1 &&
      retiring_.load(std::memory_order_acquire)) {
    post_check();
  }
}

void HttpWorker::run() {
  auto work = asio::make_work_guard(io_);
  io_.run();
  core_->stats->threads_running.fetch_sub(1, std::memory_order_relaxed);
  exited_.store(true, std::memory_order_release);
}

void HttpWorker::drain_inbox() {
  std::vector<Task> tasks;
  bool closing;
  {
    std::lock_guard lock(mutex_);
    check_posted_ = false;
    tasks.swap(inbox_);
    bool idle_retired = tasks.empty() && retiring_.load(std::memory_order_acquire) &&
                        active_jobs.load(std::memory_order_acquire) == 0;
    closing = stopping_ || idle_retired;
    closed_ = closing;
  }
  if (closing) {
    close_loop(tasks);
    return;
  }
  for (auto& task : tasks) {
    if (task.kind == TaskKind::kRun) {
      run_job(*this, task.job);
    } else {
      cancel_job(*this, task.job);
    }
  }
}

// Worker thread; closed_ is set, so nothing more is posted.
void HttpWorker::close_loop(std::vector<Task>& pending) {
  shutdown(pending);
  curl_deadline_.reset();
  timer_.cancel();
  io_.stop();
}

void HttpWorker::shutdown(std::vector<Task>& pending) {
  for (auto& task : pending) task.job->finish(std::unexpected(unavailable_error()));
  auto jobs = std::move(jobs_);
  jobs_.clear();
  for (auto& [raw, job] : jobs) {
    cancel_transfers(*job);
    job->finish(std::unexpected(unavailable_error()));
  }
}

void HttpWorker::drain_messages() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURLcode code = msg->data.result;
    char* priv = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
    complete(reinterpret_cast<Transfer*>(priv), code);
  }
}

void HttpWorker::complete(Transfer* t, CURLcode code) {
  auto& stats = *core_->stats;
  long status = 0;
  long connects = 0;
  curl_off_t downloaded = 0;
  curl_off_t total_us = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &connects);
  curl_easy_getinfo(t->easy, CURLINFO_SIZE_DOWNLOAD_T, &downloaded);
  curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &total_us);
  if (status > 0) {
    (connects > 0 ? stats.upstream_connections_opened : stats.upstream_connections_reused)
        .fetch_add(1, std::memory_order_relaxed);
  }
  stats.bytes_received.fetch_add(static_cast<uint64_t>(downloaded), std::memory_order_relaxed);
  auto holder = std::move(transfers_[t]);
  detach(t);
  transfer_done(*this, *t, code, status, static_cast<long>(total_us / 1000));
}

void HttpWorker::detach(Transfer* t) {
  curl_multi_remove_handle(multi_, t->easy);
  release_easy(t->easy);
  t->easy = nullptr;
  curl_slist_free_all(t->headers);
  t->headers = nullptr;
  auto& list = t->job->transfers;
  list.erase(std::remove(list.begin(), list.end(), t), list.end());
  transfers_.erase(t);
  core_->stats->upstream_in_flight.fetch_sub(1, std::memory_order_relaxed);
}

void HttpWorker::cancel_transfers(Job& job) {
  auto list = job.transfers;
  for (Transfer* t : list) {
    auto holder = std::move(transfers_[t]);
    detach(t);
  }
}

CURL* HttpWorker::acquire_easy() {
  if (idle_easy_.empty()) return curl_easy_init();
  CURL* e = idle_easy_.back();
  idle_easy_.pop_back();
  return e;
}

void HttpWorker::release_easy(CURL* easy) {
  if (idle_easy_.size() >= kMaxIdleEasyHandles) {
    curl_easy_cleanup(easy);
    return;
  }
  curl_easy_reset(easy);
  idle_easy_.push_back(easy);
}

Result<void> HttpWorker::add_transfer(const std::shared_ptr<Job>& job, size_t offset, size_t count,
                                      std::string body) {
  const ServiceEndpoint& ep = job->endpoint();
  auto owned = std::make_unique<Transfer>();
  Transfer* t = owned.get();
  t->job = job;
  t->offset = offset;
  t->count = count;
  t->body = std::move(body);
  t->easy = acquire_easy();
  if (!t->easy)
    return make_error(errc::kServiceUnreachable, "HY000", "GENAI: cannot create an HTTP handle");
  t->headers = curl_slist_append(t->headers, "Content-Type: application/json");
  t->headers = curl_slist_append(t->headers, "Accept: application/json");
  t->headers = curl_slist_append(t->headers, "Expect:");
  if (!ep.authorization.empty())
    t->headers = curl_slist_append(t->headers, ep.authorization.c_str());

  CURL* e = t->easy;
  curl_easy_setopt(e, CURLOPT_URL, ep.uri.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->body.size()));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(e, CURLOPT_PRIVATE, t);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ep.timeout_ms);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  if (curl_multi_add_handle(multi_, e) != CURLM_OK) {
    curl_slist_free_all(t->headers);
    release_easy(e);
    return make_error(errc::kServiceUnreachable, "HY000", "GENAI: cannot start an HTTP request");
  }
  auto& stats = *core_->stats;
  stats.upstream_requests.fetch_add(1, std::memory_order_relaxed);
  stats.upstream_in_flight.fetch_add(1, std::memory_order_relaxed);
  stats.bytes_sent.fetch_add(t->body.size(), std::memory_order_relaxed);
  job->transfers.push_back(t);
  transfers_.emplace(t, std::move(owned));
  return {};
}

}  // namespace gp::genai
