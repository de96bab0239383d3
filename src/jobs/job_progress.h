// What stats_genai_jobs and stats_genai_job_errors show: each job's state
// and counters, updated by its runner once per batch (a mutex, never per
// row), and the rows that failed. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/metrics.h"

namespace gp::jobs {

enum class JobState { kRunning, kPaused, kWaiting, kDone, kFailed };
std::string_view state_name(JobState state);

class JobProgress {
 public:
  explicit JobProgress(int64_t job_id) : job_id_(job_id) {}

  int64_t job_id() const { return job_id_; }
  void set_state(JobState state);
  JobState state() const;
  // A failure of the job itself (not of a row): shown in last_error; with
  // `fatal` the job stops (failed).
  void set_error(std::string message, bool fatal);
  void resumed(int64_t rows_done, int64_t rows_failed, int64_t started_at);
  void set_total(int64_t rows_total);
  // A batch was written: its rows, those that failed, and where the job is.
  void add(int64_t done, int64_t failed, std::string last_key);
  int64_t rows_done() const;
  int64_t rows_failed() const;

  struct Row {
    JobState state = JobState::kRunning;
    int64_t rows_total = 0, rows_done = 0, rows_failed = 0;
    double rows_per_second = 0;
    int64_t eta_seconds = -1;  // unknown
    std::string last_key, last_error;
    int64_t started_at = 0, updated_at = 0;
  };
  Row row() const;

 private:
  using Clock = std::chrono::steady_clock;
  const int64_t job_id_;
  mutable std::mutex mutex_;
  Row row_;
  // The rate is measured over a window restarted every few seconds.
  Clock::time_point window_start_ = Clock::now();
  int64_t window_rows_ = 0;
  double rate_ = 0;
};

// The rows that failed, the most recent kKept per job.
class JobErrors {
 public:
  static constexpr size_t kKept = 1000;
  struct Entry {
    int64_t job_id = 0;
    std::string key;
    int code = 0;
    std::string message;
    int64_t time = 0;  // Unix seconds
  };
  void add(Entry entry);
  void forget(int64_t job_id);
  StatsTable table() const;
  static std::vector<std::string> columns();

 private:
  mutable std::mutex mutex_;
  std::map<int64_t, std::deque<Entry>> by_job_;
};

// The stats_genai_jobs rows of `jobs`.
StatsTable jobs_table(const std::map<int64_t, std::shared_ptr<JobProgress>>& jobs);
std::vector<std::string> jobs_columns();

}  // namespace gp::jobs
