#include "admin/job_tables.h"

#include <algorithm>
#include <cctype>

#include "admin/columns.h"
#include "admin/row_reader.h"
#include "fmt/format.h"

namespace gp::admin {

namespace {

SqlText num(int64_t n) {
  return std::to_string(n);
}

// "a.b" with a dot outside backquotes splits into its two names.
std::optional<std::pair<std::string_view, std::string_view>> split_table(std::string_view name) {
  bool quoted = false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '`') quoted = !quoted;
    if (name[i] == '.' && !quoted) return std::pair{name.substr(0, i), name.substr(i + 1)};
  }
  return std::nullopt;
}

Result<GenaiJob> job_from(const TextRow& row) {
  Reader r(kGenaiJobs, row);
  GenaiJob j;
  auto id = r.number("job_id");
  if (!id) return std::unexpected(id.error());
  j.job_id = *id;
  j.username = r.text("username");
  j.table_name = r.text("table_name");
  j.key_column = r.text("key_column");
  j.text_expression = r.text("text_expression");
  j.target_column = r.text("target_column");
  j.model = r.text("model");
  j.filter = r.text("filter");
  j.change_column = r.text("change_column");
  j.comment = r.text("comment");
  auto format = r.choice("target_format");
  if (!format) return std::unexpected(format.error());
  j.target_format = *format;
  auto mode = r.choice("mode");
  if (!mode) return std::unexpected(mode.error());
  j.mode = *mode;
  int64_t numbers[4] = {};
  const char* names[4] = {"interval_s", "batch_size", "concurrency", "active"};
  for (int i = 0; i < 4; ++i) {
    auto n = r.number(names[i]);
    if (!n) return std::unexpected(n.error());
    numbers[i] = *n;
  }
  j.interval_s = static_cast<int>(numbers[0]);
  j.batch_size = static_cast<int>(numbers[1]);
  j.concurrency = static_cast<int>(numbers[2]);
  j.active = numbers[3] != 0;
  for (auto [column, value] :
       {std::pair{"username", &j.username}, std::pair{"text_expression", &j.text_expression},
        std::pair{"table_name", &j.table_name}}) {
    if (value->empty()) return r.error(column, "must not be empty");
  }
  auto parts = split_table(j.table_name);
  if (!parts || !is_job_identifier(parts->first) || !is_job_identifier(parts->second)) {
    return r.error("table_name", fmt::format("'{}' is not schema.table", j.table_name));
  }
  if (j.key_column.find(',') != std::string::npos && j.key_column.front() != '`') {
    return r.error("key_column", "composite keys are not supported: name one primary-key column");
  }
  for (auto [column, value] :
       {std::pair{"key_column", &j.key_column}, std::pair{"target_column", &j.target_column}}) {
    if (!is_job_identifier(*value)) {
      return r.error(column, fmt::format("'{}' is not a column name", *value));
    }
  }
  if (j.mode == "sync" && j.change_column.empty()) {
    return r.error("change_column", "a sync job needs the column that grows when the text changes");
  }
  if (!j.change_column.empty() && !is_job_identifier(j.change_column)) {
    return r.error("change_column", fmt::format("'{}' is not a column name", j.change_column));
  }
  return j;
}

}  // namespace

bool is_job_identifier(std::string_view name) {
  if (name.size() >= 3 && name.front() == '`' && name.back() == '`') {
    return name.substr(1, name.size() - 2).find('`') == std::string_view::npos;
  }
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
           static_cast<unsigned char>(c) >= 0x80;
  });
}

Result<std::vector<GenaiJob>> jobs_from_rows(const std::vector<TextRow>& rows) {
  std::vector<GenaiJob> out;
  for (const auto& row : rows) {
    auto j = job_from(row);
    if (!j) return std::unexpected(j.error());
    out.push_back(std::move(*j));
  }
  return out;
}

std::vector<TextRow> rows_from_jobs(const std::vector<GenaiJob>& jobs) {
  std::vector<TextRow> rows;
  for (const auto& j : jobs) {
    rows.push_back({num(j.job_id), j.username, j.table_name, j.key_column, j.text_expression,
                    j.target_column, j.target_format, j.model, j.filter, j.mode, j.change_column,
                    num(j.interval_s), num(j.batch_size), num(j.concurrency), num(j.active ? 1 : 0),
                    j.comment});
  }
  return rows;
}

}  // namespace gp::admin
