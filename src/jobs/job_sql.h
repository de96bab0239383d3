// The SQL an embedding job sends: keyset pages, batched guarded writes, and
// the literals they carry. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "mysql/resultset.h"

namespace gp::jobs {

// A value read from the backend, written back into SQL as it was read:
// numbers as they are, anything else as a utf8mb4 string literal in hex, so
// that no quoting or sql_mode (NO_BACKSLASH_ESCAPES, ANSI_QUOTES) matters.
struct SqlValue {
  std::string text;
  bool number = false;

  std::string literal() const;
  bool operator==(const SqlValue&) const = default;
};

// Whether a column of `type` holds numbers to be written without quotes.
bool is_numeric_column(mysql::ColumnType type);
// `value` typed by its column; a "number" that is not one is kept as text.
SqlValue sql_value(std::string text, mysql::ColumnType type);

// `name` in backquotes (kept as it is when already in them); schema.table
// as `schema`.`table`.
std::string quote_name(std::string_view name);
std::string quote_table(std::string_view schema_table);

// Where a job's read continues. Backfill: after `key` in key order. A sync
// job's backfill takes only the rows with change <= `until` (the largest
// change value when the job began) or a NULL change; its passes take the
// rows after (`change`, `key`) in change order, starting after `until`, so
// that a row changed during the backfill is embedded once, by a pass.
struct Position {
  std::optional<SqlValue> key;
  std::optional<SqlValue> change;
  std::optional<SqlValue> until;
};

enum class Phase { kBackfill, kSync };

// One page of rows to embed: the key, the document, the document's MD5 (the
// write guard of backfill) and, for a sync job, the change column.
std::string page_query(const GenaiJob& job, Phase phase, const Position& after, size_t limit);
// The rows of `keys` still waiting (target NULL), to try again after a
// backfill job's guarded write skipped them (their text changed meanwhile).
std::string recheck_query(const GenaiJob& job, const std::vector<SqlValue>& keys);
// The estimate of rows_total: backfill rows still to do.
std::string count_query(const GenaiJob& job);
// The largest change value now: where sync passes start after the backfill.
std::string max_change_query(const GenaiJob& job);

// One row's new vector: `vector` is the service's answer as JSON array text
// (json, vec_fromtext, string_to_vector) or float32 bytes (binary); none for
// a NULL or blank document.
struct RowWrite {
  SqlValue key;
  std::optional<std::string> vector;
  std::string text_md5;            // backfill guard: the document that was embedded
  std::optional<SqlValue> change;  // sync guard: the change value that was read (none: NULL)
};

// One UPDATE for the whole batch, naming every key. A backfill job writes
// only where the target is still NULL and the document is still the one that
// was embedded; a sync job only where the change column still has the value
// that was read.
std::string write_statement(const GenaiJob& job, const std::vector<RowWrite>& rows);

}  // namespace gp::jobs
