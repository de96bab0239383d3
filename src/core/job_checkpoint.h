// Where embedding jobs keep their progress across restarts: a table of the
// admin database on disk (genai_job_checkpoints), written by the jobs and
// read back when a job starts again. The admin module implements the store;
// the jobs module only sees this interface.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"

namespace gp {

struct JobCheckpoint {
  int64_t job_id = 0;
  // What the progress belongs to (table, key, text, target, filter, mode,
  // model): a job whose definition changed starts again from the beginning.
  std::string signature;
  std::string position;  // the job's own encoding (JSON): phase, last key, watermark
  int64_t rows_done = 0;
  int64_t rows_failed = 0;
  int64_t started_at = 0;  // Unix seconds
};

// Thread-safe.
class JobCheckpointStore {
 public:
  virtual ~JobCheckpointStore() = default;
  virtual Result<std::optional<JobCheckpoint>> load(int64_t job_id) = 0;
  // Written through to disk before it returns.
  virtual Result<void> save(const JobCheckpoint& checkpoint) = 0;
};

}  // namespace gp
