#include "jobs/job_sql.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "sql/sql.h"

namespace gp::jobs {

namespace {

bool looks_numeric(std::string_view text) {
  if (text.empty()) return false;
  size_t i = text[0] == '-' ? 1 : 0;
  if (i == text.size()) return false;
  bool dot = false;
  for (; i < text.size(); ++i) {
    if (text[i] == '.' && !dot) {
      dot = true;
    } else if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

// The document as the guard compares it: the same bytes the job read on its
// utf8mb4 connection.
std::string document_md5(const GenaiJob& job) {
  return fmt::format("MD5(CONVERT(({}) USING utf8mb4))", job.text_expression);
}

std::string filter_clause(const GenaiJob& job) {
  return job.filter.empty() ? std::string() : fmt::format(" AND ({})", job.filter);
}

std::string target_value(const GenaiJob& job, std::string_view value) {
  if (job.target_format == "vec_fromtext") return fmt::format("VEC_FromText({})", value);
  if (job.target_format == "string_to_vector") return fmt::format("STRING_TO_VECTOR({})", value);
  return std::string(value);
}

}  // namespace

std::string SqlValue::literal() const {
  if (number) return text;
  return "_utf8mb4 " + sql::hex_literal(text);
}

bool is_numeric_column(mysql::ColumnType type) {
  using T = mysql::ColumnType;
  switch (type) {
    case T::kTiny:
    case T::kShort:
    case T::kLong:
    case T::kLongLong:
    case T::kInt24:
    case T::kDecimal:
    case T::kNewDecimal:
    case T::kYear:
      return true;
    default:
      return false;
  }
}

SqlValue sql_value(std::string text, mysql::ColumnType type) {
  bool number = is_numeric_column(type) && looks_numeric(text);
  return SqlValue{std::move(text), number};
}

std::string quote_name(std::string_view name) {
  if (name.size() >= 2 && name.front() == '`' && name.back() == '`') return std::string(name);
  return fmt::format("`{}`", name);
}

std::string quote_table(std::string_view schema_table) {
  bool quoted = false;
  for (size_t i = 0; i < schema_table.size(); ++i) {
    if (schema_table[i] == '`') quoted = !quoted;
    if (schema_table[i] == '.' && !quoted) {
      return quote_name(schema_table.substr(0, i)) + "." + quote_name(schema_table.substr(i + 1));
    }
  }
  return quote_name(schema_table);
}

std::string page_query(const GenaiJob& job, Phase phase, const Position& after, size_t limit) {
  std::string table = quote_table(job.table_name);
  std::string key = quote_name(job.key_column);
  bool sync_job = job.mode == "sync";
  std::string change = sync_job ? quote_name(job.change_column) : "";
  std::string select = fmt::format("SELECT {}, ({}), {}{}", key, job.text_expression,
                                   document_md5(job), sync_job ? ", " + change : "");
  if (phase == Phase::kBackfill) {
    std::string where = quote_name(job.target_column) + " IS NULL";
    if (after.key) where += fmt::format(" AND {} > {}", key, after.key->literal());
    if (sync_job) {
      where += after.until
                   ? fmt::format(" AND ({0} <= {1} OR {0} IS NULL)", change, after.until->literal())
                   : fmt::format(" AND {} IS NULL", change);
    }
    return fmt::format("{} FROM {} WHERE {}{} ORDER BY {} LIMIT {}", select, table, where,
                       filter_clause(job), key, limit);
  }
  std::string where;
  if (after.change && after.key) {
    where = fmt::format("({0} > {1} OR ({0} = {1} AND {2} > {3}))", change, after.change->literal(),
                        key, after.key->literal());
  } else if (after.change) {
    where = fmt::format("{} > {}", change, after.change->literal());
  } else {
    where = fmt::format("{} IS NOT NULL", change);
  }
  return fmt::format("{} FROM {} WHERE {}{} ORDER BY {}, {} LIMIT {}", select, table, where,
                     filter_clause(job), change, key, limit);
}

std::string recheck_query(const GenaiJob& job, const std::vector<SqlValue>& keys) {
  std::vector<std::string> literals;
  literals.reserve(keys.size());
  for (auto& k : keys) literals.push_back(k.literal());
  std::string key = quote_name(job.key_column);
  return fmt::format("SELECT {}, ({}), {} FROM {} WHERE {} IN ({}) AND {} IS NULL{} ORDER BY {}",
                     key, job.text_expression, document_md5(job), quote_table(job.table_name), key,
                     fmt::join(literals, ", "), quote_name(job.target_column), filter_clause(job),
                     key);
}

std::string count_query(const GenaiJob& job) {
  return fmt::format("SELECT COUNT(*) FROM {} WHERE {} IS NULL{}", quote_table(job.table_name),
                     quote_name(job.target_column), filter_clause(job));
}

std::string max_change_query(const GenaiJob& job) {
  return fmt::format("SELECT MAX({}) FROM {}", quote_name(job.change_column),
                     quote_table(job.table_name));
}

std::string write_statement(const GenaiJob& job, const std::vector<RowWrite>& rows) {
  // One single-table UPDATE over the keys, each row's value chosen by CASE:
  // no derived table, so the server builds no temporary table (on disk, for
  // TEXT values) per batch.
  bool sync = job.mode == "sync";
  bool binary = job.target_format == "binary";
  std::string key = quote_name(job.key_column);
  std::string keys, vectors, guards;
  keys.reserve(rows.size() * 8);
  vectors.reserve(rows.size() * 64);
  for (size_t i = 0; i < rows.size(); ++i) {
    const RowWrite& r = rows[i];
    std::string k = r.key.literal();
    if (i > 0) keys += ", ";
    keys += k;
    std::string vector = "NULL";
    if (r.vector) vector = binary ? sql::hex_literal(*r.vector) : "'" + *r.vector + "'";
    vectors += fmt::format(" WHEN {} THEN {}", k, vector);
    std::string guard =
        sync ? (r.change ? r.change->literal() : std::string("NULL")) : "'" + r.text_md5 + "'";
    guards += fmt::format(" WHEN {} THEN {}", k, guard);
  }
  std::string target = quote_name(job.target_column);
  std::string where =
      sync ? fmt::format("{} <=> CASE {}{} END", quote_name(job.change_column), key, guards)
           : fmt::format("{} IS NULL AND {} = CASE {}{} END", target, document_md5(job), key,
                         guards);
  return fmt::format("UPDATE {} SET {} = {} WHERE {} IN ({}) AND {}", quote_table(job.table_name),
                     target, target_value(job, fmt::format("CASE {}{} END", key, vectors)), key,
                     keys, where);
}

}  // namespace gp::jobs
