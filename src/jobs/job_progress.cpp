#include "jobs/job_progress.h"

#include <fmt/format.h>

#include <ctime>

namespace gp::jobs {

namespace {

constexpr auto kRateWindow = std::chrono::seconds(5);

int64_t unix_now() {
  return static_cast<int64_t>(std::time(nullptr));
}

}  // namespace

std::string_view state_name(JobState state) {
  switch (state) {
    case JobState::kRunning:
      return "running";
    case JobState::kPaused:
      return "paused";
    case JobState::kWaiting:
      return "waiting";
    case JobState::kDone:
      return "done";
    case JobState::kFailed:
      return "failed";
  }
  return "";
}

void JobProgress::set_state(JobState state) {
  std::lock_guard lock(mutex_);
  if (row_.state == state) return;
  row_.state = state;
  row_.updated_at = unix_now();
  if (state != JobState::kRunning) rate_ = 0;
}

JobState JobProgress::state() const {
  std::lock_guard lock(mutex_);
  return row_.state;
}

void JobProgress::set_error(std::string message, bool fatal) {
  std::lock_guard lock(mutex_);
  row_.last_error = std::move(message);
  row_.updated_at = unix_now();
  if (fatal) {
    row_.state = JobState::kFailed;
    rate_ = 0;
  }
}

void JobProgress::resumed(int64_t rows_done, int64_t rows_failed, int64_t started_at) {
  std::lock_guard lock(mutex_);
  row_.rows_done = rows_done;
  row_.rows_failed = rows_failed;
  row_.started_at = started_at;
  row_.updated_at = unix_now();
}

void JobProgress::set_total(int64_t rows_total) {
  std::lock_guard lock(mutex_);
  row_.rows_total = rows_total;
}

void JobProgress::add(int64_t done, int64_t failed, std::string last_key) {
  std::lock_guard lock(mutex_);
  row_.rows_done += done;
  row_.rows_failed += failed;
  if (row_.rows_done + row_.rows_failed > row_.rows_total) {
    row_.rows_total = row_.rows_done + row_.rows_failed;
  }
  if (!last_key.empty()) row_.last_key = std::move(last_key);
  row_.updated_at = unix_now();
  window_rows_ += done + failed;
  auto now = Clock::now();
  auto elapsed = std::chrono::duration<double>(now - window_start_).count();
  if (now - window_start_ >= kRateWindow) {
    rate_ = elapsed > 0 ? static_cast<double>(window_rows_) / elapsed : 0;
    window_start_ = now;
    window_rows_ = 0;
  } else if (rate_ == 0 && elapsed > 0.5) {
    rate_ = static_cast<double>(window_rows_) / elapsed;
  }
}

int64_t JobProgress::rows_done() const {
  std::lock_guard lock(mutex_);
  return row_.rows_done;
}

int64_t JobProgress::rows_failed() const {
  std::lock_guard lock(mutex_);
  return row_.rows_failed;
}

JobProgress::Row JobProgress::row() const {
  std::lock_guard lock(mutex_);
  Row r = row_;
  r.rows_per_second = rate_;
  int64_t left = r.rows_total - r.rows_done - r.rows_failed;
  if (r.state == JobState::kDone || r.state == JobState::kWaiting) {
    r.eta_seconds = 0;
  } else if (rate_ > 0 && left >= 0) {
    r.eta_seconds = static_cast<int64_t>(static_cast<double>(left) / rate_ + 0.5);
  }
  return r;
}

void JobErrors::add(Entry entry) {
  std::lock_guard lock(mutex_);
  auto& kept = by_job_[entry.job_id];
  kept.push_back(std::move(entry));
  if (kept.size() > kKept) kept.pop_front();
}

void JobErrors::forget(int64_t job_id) {
  std::lock_guard lock(mutex_);
  by_job_.erase(job_id);
}

std::vector<std::string> JobErrors::columns() {
  return {"job_id", "row_key", "error_code", "error_message", "error_time"};
}

StatsTable JobErrors::table() const {
  StatsTable t;
  t.columns = columns();
  std::lock_guard lock(mutex_);
  for (auto& [job, entries] : by_job_) {
    for (auto& e : entries) {
      t.rows.push_back({std::to_string(e.job_id), e.key, std::to_string(e.code), e.message,
                        std::to_string(e.time)});
    }
  }
  return t;
}

std::vector<std::string> jobs_columns() {
  return {"job_id",      "state",    "rows_total", "rows_done",  "rows_failed", "rows_per_second",
          "eta_seconds", "last_key", "last_error", "started_at", "updated_at"};
}

StatsTable jobs_table(const std::map<int64_t, std::shared_ptr<JobProgress>>& jobs) {
  StatsTable t;
  t.columns = jobs_columns();
  for (auto& [id, progress] : jobs) {
    auto r = progress->row();
    t.rows.push_back({std::to_string(id), std::string(state_name(r.state)),
                      std::to_string(r.rows_total), std::to_string(r.rows_done),
                      std::to_string(r.rows_failed), fmt::format("{:.1f}", r.rows_per_second),
                      std::to_string(r.eta_seconds), r.last_key, r.last_error,
                      std::to_string(r.started_at), std::to_string(r.updated_at)});
  }
  return t;
}

}  // namespace gp::jobs
