// Embedding jobs (SPEC-JOBS.md, docs/JOBS.md): the proxy fills a table's
// vector column from its text and keeps it in step. One thread runs every
// job's coroutines; jobs read and write through the backend pools as their
// mysql_users user and embed through the GenAI engine behind client
// statements. The jobs follow the runtime snapshot's genai_jobs rows.
#pragma once

#include <memory>

#include "core/config.h"
#include "core/job_checkpoint.h"
#include "core/metrics.h"

namespace gp::genai {
class Engine;
}
namespace gp::backend {
class BackendManager;
}

namespace gp::jobs {

class JobManager {
 public:
  // Registers stats_genai_jobs and stats_genai_job_errors.
  JobManager(ConfigStore& config, MetricsRegistry& metrics, genai::Engine& engine,
             backend::BackendManager& backends, JobCheckpointStore& checkpoints);
  ~JobManager();
  JobManager(const JobManager&) = delete;
  JobManager& operator=(const JobManager&) = delete;

  // Starts the thread and the active jobs of the current snapshot; later
  // snapshots start, stop and restart jobs whose rows changed.
  void start();
  // Stops every job at its next batch (progress is checkpointed) and joins
  // the thread. Call before the engine and the backends stop.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gp::jobs
