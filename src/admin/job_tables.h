// The rows of genai_jobs checked and turned into the runtime structs, and
// back. Pure.
#pragma once

#include <vector>

#include "admin/runtime_rows.h"
#include "core/config.h"
#include "core/error.h"

namespace gp::admin {

// Checks every row; the first problem is the error (1105), naming the job
// and the column. Rules beyond the column checks: table_name is
// schema.table; key_column, target_column and change_column are single
// column names (a list, i.e. a composite key, is refused); a sync job names
// its change_column.
Result<std::vector<GenaiJob>> jobs_from_rows(const std::vector<TextRow>& rows);
std::vector<TextRow> rows_from_jobs(const std::vector<GenaiJob>& jobs);

// An identifier as job statements may use it: letters, digits, _ and $, or
// anything but a backquote within backquotes.
bool is_job_identifier(std::string_view name);

}  // namespace gp::admin
