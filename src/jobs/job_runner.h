// One embedding job as a coroutine on the jobs' executor: keyset pages read
// on one backend session, `concurrency` workers that embed a batch each and
// write it back on their own sessions, progress committed in key order to
// the checkpoint store. Internal to the jobs module.
#pragma once

#include <asio/awaitable.hpp>
#include <atomic>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/error.h"
#include "core/job_checkpoint.h"
#include "jobs/job_progress.h"
#include "jobs/job_sql.h"

namespace gp::genai {
class Engine;
}
namespace gp::backend {
class BackendManager;
}

namespace gp::jobs {

struct JobServices {
  genai::Engine& engine;
  backend::BackendManager& backends;
  JobCheckpointStore& checkpoints;
  JobErrors& errors;
  // genai-endpoint_concurrency: jobs hold back while client statements
  // would have to queue behind their batches.
  std::atomic<int>* endpoint_concurrency = nullptr;
};

struct StopFlag {
  std::atomic<bool> requested{false};
};

// Runs `job` as `user` until it is done (backfill), fails, or `stop` is
// requested; a sync job runs until stopped.
asio::awaitable<void> run_job(GenaiJob job, MysqlUser user, JobServices& services,
                              std::shared_ptr<JobProgress> progress,
                              std::shared_ptr<StopFlag> stop);

// What a failure means for a job.
enum class Failure {
  kTryLater,  // the service or backend is unwell: pause and retry the same batch
  kRow,       // this row (or batch: split it) is refused: record and skip
  kJob,       // the job cannot go on (privileges, unknown model or column): failed
};
Failure classify_service_error(const Error& e);
Failure classify_backend_error(const Error& e);

// The definition a checkpoint belongs to.
std::string job_signature(const GenaiJob& job);

// The checkpoint's position text and back (nullopt: unreadable, start anew).
struct Progress {
  Phase phase = Phase::kBackfill;
  bool done = false;  // a backfill job that finished
  Position position;
};
std::string encode_progress(const Progress& p);
std::optional<Progress> decode_progress(std::string_view text);

}  // namespace gp::jobs
