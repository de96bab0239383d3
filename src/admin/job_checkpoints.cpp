// The embedding jobs' progress in the disk database: one row per job,
// written through (synchronous = FULL) so that a restart resumes there.
#include <fmt/format.h>

#include "admin/admin_impl.h"
#include "admin/schema.h"

namespace gp::admin {

Result<void> create_job_checkpoint_table(Database& db) {
  return db.exec_script(fmt::format(
      "CREATE TABLE IF NOT EXISTS disk.{} (job_id INT PRIMARY KEY NOT NULL, signature VARCHAR NOT "
      "NULL, position VARCHAR NOT NULL, rows_done INT NOT NULL DEFAULT 0, rows_failed INT NOT "
      "NULL DEFAULT 0, started_at INT NOT NULL DEFAULT 0, updated_at INT NOT NULL DEFAULT 0);",
      kJobCheckpointsTable));
}

Result<std::optional<JobCheckpoint>> AdminImpl::load(int64_t job_id) {
  std::lock_guard lock(mutex_);
  auto stmt =
      db_.prepare(fmt::format("SELECT signature, position, rows_done, rows_failed, started_at FROM "
                              "disk.{} WHERE job_id = ?",
                              kJobCheckpointsTable));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, job_id);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<JobCheckpoint>();
  JobCheckpoint c;
  c.job_id = job_id;
  c.signature = stmt->column_string(0);
  c.position = stmt->column_string(1);
  c.rows_done = stmt->column_int(2);
  c.rows_failed = stmt->column_int(3);
  c.started_at = stmt->column_int(4);
  return std::optional<JobCheckpoint>(std::move(c));
}

Result<void> AdminImpl::save(const JobCheckpoint& c) {
  std::lock_guard lock(mutex_);
  auto stmt = db_.prepare(
      fmt::format("INSERT OR REPLACE INTO disk.{} (job_id, signature, position, rows_done, "
                  "rows_failed, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, "
                  "CAST(strftime('%s','now') AS INT))",
                  kJobCheckpointsTable));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, c.job_id)
      .bind(2, c.signature)
      .bind(3, c.position)
      .bind(4, c.rows_done)
      .bind(5, c.rows_failed)
      .bind(6, c.started_at);
  return stmt->run();
}

}  // namespace gp::admin
