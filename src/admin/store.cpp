#include "admin/store.h"

#include "admin/columns.h"
#include "admin/schema.h"
#include "fmt/format.h"

namespace gp::admin {

namespace {

std::string like_prefix(VarModule module) {
  return std::string(module_prefix(module)) + "%";
}

// Tables are named by code, never by users: a row table or its runtime_
// copy.
const RowTable& row_table(std::string_view table) {
  return *find_row_table(table);
}

const std::vector<std::string>& columns_of(std::string_view table) {
  return row_table(table).names;
}

// The SELECT of a table's rows in key order, with each literal secret of
// genai_credentials in place of its mask, so that what is read can be
// written elsewhere (whose triggers mask it again) or loaded.
std::string select_rows(std::string_view schema, std::string_view table) {
  if (table == kGenaiCredentials) {
    return fmt::format(
        "SELECT c.name, CASE WHEN c.secret = '********' THEN COALESCE(s.secret, c.secret) "
        "ELSE c.secret END FROM {0}.{1} c LEFT JOIN {0}.{2} s ON s.name = c.name ORDER BY c.name",
        schema, kGenaiCredentials, kCredentialSecretsTable);
  }
  const RowTable& t = row_table(table);
  return fmt::format("SELECT {} FROM {}.{} ORDER BY {}", fmt::join(t.names, ", "), schema, table,
                     t.key);
}

Result<std::vector<TextRow>> collect(Statement& stmt) {
  std::vector<TextRow> rows;
  for (;;) {
    auto more = stmt.step();
    if (!more) return std::unexpected(more.error());
    if (!*more) return rows;
    TextRow row;
    for (int i = 0; i < stmt.column_count(); ++i) row.push_back(stmt.column_text(i));
    rows.push_back(std::move(row));
  }
}

}  // namespace

std::string_view table_of(Target target) {
  if (target == Target::kGenaiJobs) return kGenaiJobs;
  return target == Target::kMysqlUsers ? kMysqlUsers : kMysqlServers;
}

VarModule target_module(Target target) {
  switch (target) {
    case Target::kMysqlVariables:
      return VarModule::kMysql;
    case Target::kAdminVariables:
      return VarModule::kAdmin;
    default:
      return VarModule::kGenai;
  }
}

bool is_variables(Target target) {
  return target == Target::kGenaiVariables || target == Target::kMysqlVariables ||
         target == Target::kAdminVariables;
}

Result<VariableMap> Store::read_variables(std::string_view schema, VarModule module) {
  auto stmt = db_.prepare(
      fmt::format("SELECT lower(g.variable_name), CASE WHEN g.variable_value = '********' "
                  "THEN COALESCE(s.variable_value, g.variable_value) ELSE g.variable_value END "
                  "FROM {0}.global_variables g LEFT JOIN {0}.global_secrets s "
                  "ON s.variable_name = g.variable_name WHERE g.variable_name LIKE ?",
                  schema));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, like_prefix(module));
  auto rows = collect(*stmt);
  if (!rows) return std::unexpected(rows.error());
  VariableMap out;
  for (auto& row : *rows) out[row[0].value_or("")] = row[1].value_or("");
  return out;
}

Result<void> Store::replace_variables(std::string_view schema, VarModule module,
                                      const VariableMap& values) {
  auto r =
      db_.exec(fmt::format("DELETE FROM {}.global_variables WHERE variable_name LIKE ?", schema),
               {like_prefix(module)});
  if (!r) return r;
  return upsert_variables(schema, values);
}

Result<void> Store::upsert_variables(std::string_view schema, const VariableMap& values) {
  auto stmt =
      db_.prepare(fmt::format("INSERT OR REPLACE INTO {}.global_variables VALUES (?, ?)", schema));
  if (!stmt) return std::unexpected(stmt.error());
  for (auto& [name, value] : values) {
    stmt->bind(1, name).bind(2, value);
    if (auto r = stmt->run(); !r) return r;
    stmt->reset();
  }
  return {};
}

Result<void> Store::insert_missing_defaults(std::string_view schema) {
  auto stmt =
      db_.prepare(fmt::format("INSERT OR IGNORE INTO {}.global_variables VALUES (?, ?)", schema));
  if (!stmt) return std::unexpected(stmt.error());
  for (auto& spec : all_variables()) {
    stmt->bind(1, spec.name).bind(2, spec.default_value);
    if (auto r = stmt->run(); !r) return r;
    stmt->reset();
  }
  return {};
}

Result<std::vector<TextRow>> Store::read_rows(std::string_view schema, std::string_view table) {
  auto stmt = db_.prepare(select_rows(schema, table));
  if (!stmt) return std::unexpected(stmt.error());
  return collect(*stmt);
}

Result<void> Store::replace_rows(std::string_view schema, std::string_view table,
                                 const std::vector<TextRow>& rows) {
  if (auto r = db_.exec(fmt::format("DELETE FROM {}.{}", schema, table)); !r) return r;
  const auto& columns = columns_of(table);
  std::vector<std::string> marks(columns.size(), "?");
  auto stmt = db_.prepare(fmt::format("INSERT INTO {}.{} ({}) VALUES ({})", schema, table,
                                      fmt::join(columns, ", "), fmt::join(marks, ", ")));
  if (!stmt) return std::unexpected(stmt.error());
  for (auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) stmt->bind(static_cast<int>(i + 1), row[i]);
    if (auto r = stmt->run(); !r) return r;
    stmt->reset();
  }
  return {};
}

Result<void> Store::upsert_config_rows(std::string_view schema, std::string_view table,
                                       const std::vector<TableRow>& rows) {
  for (auto& row : rows) {
    std::vector<std::string> names;
    for (auto& [column, _] : row) names.push_back(column);
    std::vector<std::string> marks(row.size(), "?");
    auto stmt = db_.prepare(fmt::format("INSERT OR REPLACE INTO {}.{} ({}) VALUES ({})", schema,
                                        table, fmt::join(names, ", "), fmt::join(marks, ", ")));
    if (!stmt) return std::unexpected(stmt.error());
    int index = 1;
    for (auto& [_, value] : row) {
      if (auto* n = std::get_if<int64_t>(&value)) {
        stmt->bind(index++, *n);
      } else {
        stmt->bind(index++, std::string_view(std::get<std::string>(value)));
      }
    }
    if (auto r = stmt->run(); !r) return r;
  }
  return {};
}

Result<void> Store::copy_rows(std::string_view from, std::string_view to, std::string_view table) {
  std::string columns = fmt::format("{}", fmt::join(columns_of(table), ", "));
  return db_.exec_script(fmt::format("DELETE FROM {0}.{1}; INSERT INTO {0}.{1} ({2}) {3};", to,
                                     table, columns, select_rows(from, table)));
}

Result<std::vector<TextRow>> Store::checksum_input(std::string_view schema, Target target) {
  if (is_variables(target)) {
    auto values = read_variables(schema, target_module(target));
    if (!values) return std::unexpected(values.error());
    std::vector<TextRow> rows;
    for (auto& [name, value] : *values) rows.push_back({name, value});
    return rows;
  }
  if (target != Target::kGenaiModels) return read_rows(schema, table_of(target));
  auto rows = read_model_rows(schema);
  if (!rows) return std::unexpected(rows.error());
  return rows->joined();
}

Result<ModelRows> Store::read_model_rows(std::string_view schema) {
  ModelRows rows;
  for (const RowTable* table : genai_model_tables()) {
    auto part = read_rows(schema, table->name);
    if (!part) return std::unexpected(part.error());
    rows.of(table->name) = std::move(*part);
  }
  return rows;
}

Result<void> Store::replace_model_rows(std::string_view schema, const ModelRows& rows,
                                       std::string_view prefix) {
  for (const RowTable* table : genai_model_tables()) {
    std::string name = fmt::format("{}{}", prefix, table->name);
    if (auto r = replace_rows(schema, name, rows.of(table->name)); !r) return r;
  }
  return {};
}

}  // namespace gp::admin
