// Statements that read: SHOW, SELECT @@, CHECKSUM, plain SQL, and the
// runtime_* / stats_* tables they may look at.
#include <algorithm>

#include "admin/admin_impl.h"
#include "admin/checksum.h"
#include "admin/job_tables.h"
#include "admin/model_tables.h"
#include "admin/result_builder.h"
#include "admin/runtime_rows.h"
#include "admin/schema.h"
#include "admin/settings.h"
#include "fmt/format.h"
#include "sql/sql.h"

namespace gp::admin {

namespace {

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

std::string shown(std::string_view name, std::string_view value) {
  const VariableSpec* spec = find_variable(name);
  return spec ? display_value(*spec, value) : std::string(value);
}

bool is_known_schema(std::string_view schema) {
  return schema == "main" || schema == "disk" || schema == "stats";
}

constexpr std::string_view kVersionComment = "(genaiproxy admin module)";

}  // namespace

Result<mysql::QueryResult> AdminImpl::show_variables(const ShowVariables& show) {
  auto stmt = db_.prepare(
      "SELECT lower(g.variable_name), CASE WHEN g.variable_value = '********' "
      "THEN COALESCE(s.variable_value, g.variable_value) ELSE g.variable_value END "
      "FROM main.global_variables g LEFT JOIN main.global_secrets s "
      "ON s.variable_name = g.variable_name "
      "WHERE g.variable_name LIKE ? ESCAPE '\\' ORDER BY lower(g.variable_name)");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, show.like.value_or("%"));
  std::vector<mysql::Row> rows;
  for (;;) {
    auto more = stmt->step();
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    std::string name = stmt->column_string(0);
    std::string value = shown(name, stmt->column_string(1));
    rows.push_back({std::move(name), std::move(value)});
  }
  return text_result({"Variable_name", "Value"}, std::move(rows));
}

Result<mysql::QueryResult> AdminImpl::select_variables(const SelectVariables& select) {
  auto snapshot = config_.current();
  mysql::Row row;
  for (auto& item : select.items) {
    if (item == "@@version_comment") {
      row.emplace_back(std::string(kVersionComment));
    } else if (item == "version()") {
      row.emplace_back(admin_version());
    } else if (item == "@@version") {
      row.emplace_back(server_version_ ? server_version_() : snapshot->mysql.server_version);
    } else if (item == "database()") {
      row.emplace_back("main");
    } else if (item == "user()" || item == "current_user()") {
      const std::string& creds = snapshot->admin.admin_credentials;
      row.emplace_back(creds.substr(0, creds.find(':')) + "@localhost");
    } else {
      std::string name = item.substr(2);
      const VariableSpec* spec = find_variable(name);
      if (!spec) {
        return make_error(errc::kUnknownSystemVariable,
                          fmt::format("Unknown system variable '{}'", name));
      }
      auto values = store_.read_variables("main", spec->module);
      if (!values) return std::unexpected(values.error());
      auto it = values->find(spec->name);
      row.emplace_back(
          display_value(*spec, it == values->end() ? spec->default_value : it->second));
    }
  }
  return text_result(select.labels, {std::move(row)});
}

Result<std::vector<TextRow>> AdminImpl::runtime_variable_rows(bool masked) {
  auto snapshot = config_.current();
  VariableMap all;
  for (auto module : {VarModule::kGenai, VarModule::kMysql, VarModule::kAdmin}) {
    all.merge(render_module(module, *snapshot, runtime_key_text_));
  }
  std::vector<TextRow> rows;
  for (auto& [name, value] : all) rows.push_back({name, masked ? shown(name, value) : value});
  return rows;
}

Result<mysql::QueryResult> AdminImpl::checksum(const Checksum& checksum) {
  Result<std::vector<TextRow>> rows;
  if (checksum.layer != Layer::kRuntime) {
    rows = store_.checksum_input(checksum.layer == Layer::kDisk ? "disk" : "main", checksum.target);
  } else if (is_variables(checksum.target)) {
    rows = runtime_variable_rows(false);
    if (rows) {
      auto prefix = module_prefix(target_module(checksum.target));
      std::erase_if(*rows, [&](const TextRow& r) { return !r[0]->starts_with(prefix); });
    }
  } else if (checksum.target == Target::kMysqlUsers) {
    rows = rows_from_users(config_.current()->users);
  } else if (checksum.target == Target::kGenaiModels) {
    rows = rows_from_models(*config_.current(), runtime_secret_text_).joined();
  } else if (checksum.target == Target::kGenaiJobs) {
    rows = rows_from_jobs(config_.current()->jobs);
  } else {
    rows = rows_from_servers(config_.current()->servers);
  }
  if (!rows) return std::unexpected(rows.error());
  return text_result({"checksum"}, {{checksum_rows(*rows)}});
}

Result<void> AdminImpl::refresh_runtime_tables() {
  auto vars = runtime_variable_rows(true);
  if (!vars) return std::unexpected(vars.error());
  if (auto r = db_.exec("DELETE FROM main.runtime_global_variables"); !r) return r;
  auto stmt = db_.prepare("INSERT INTO main.runtime_global_variables VALUES (?, ?)");
  if (!stmt) return std::unexpected(stmt.error());
  for (auto& row : *vars) {
    stmt->bind(1, row[0]).bind(2, row[1]);
    if (auto r = stmt->run(); !r) return r;
    stmt->reset();
  }
  auto snapshot = config_.current();
  if (auto r =
          store_.replace_rows("main", "runtime_mysql_users", runtime_user_rows(snapshot->users));
      !r) {
    return r;
  }
  if (auto r = store_.replace_rows("main", "runtime_mysql_servers",
                                   rows_from_servers(snapshot->servers));
      !r) {
    return r;
  }
  if (auto r = store_.replace_rows("main", "runtime_genai_jobs", rows_from_jobs(snapshot->jobs));
      !r) {
    return r;
  }
  ModelRows models = rows_from_models(*snapshot, runtime_secret_text_);
  for (auto& row : models.credentials) row[1] = shown_secret(row[1].value_or(""));
  if (auto r = store_.replace_model_rows("main", models, "runtime_"); !r) return r;
  return fill_endpoint_discovery();
}

Result<void> AdminImpl::fill_endpoint_discovery() {
  if (!endpoint_discovery_) return {};
  std::vector<std::string> sets;
  for (const auto& c : genai_endpoint_discovery_columns())
    sets.push_back(fmt::format("{} = ?", c.name));
  auto stmt = db_.prepare(
      fmt::format("UPDATE main.runtime_genai_endpoints SET {} WHERE model_name = ? AND uri = ?",
                  fmt::join(sets, ", ")));
  if (!stmt) return std::unexpected(stmt.error());
  auto number = [](int64_t v) -> std::optional<std::string> {
    if (v <= 0) return std::nullopt;
    return std::to_string(v);
  };
  for (const auto& d : endpoint_discovery_()) {
    const EndpointFacts& f = d.facts;
    // In the order of genai_endpoint_discovery_columns().
    std::vector<std::optional<std::string>> values = {f.state,
                                                      f.detail,
                                                      std::to_string(f.probed_at),
                                                      f.model_id,
                                                      f.kind,
                                                      number(f.dimension),
                                                      number(f.context_size),
                                                      number(f.slots),
                                                      number(f.batch_documents),
                                                      number(f.batch_tokens),
                                                      d.warning};
    int i = 1;
    for (auto& v : values) stmt->bind(i++, v);
    stmt->bind(i++, std::optional<std::string>(d.model));
    stmt->bind(i++, std::optional<std::string>(d.uri));
    if (auto r = stmt->run(); !r) return r;
    stmt->reset();
  }
  return {};
}

Result<void> AdminImpl::refresh_stats_tables(std::string_view sql) {
  std::string text = sql::ascii_lower(sql);
  for (auto& name : metrics_.table_names()) {
    std::vector<std::string> columns = metrics_.columns(name);
    if (columns.empty()) continue;
    // Counter lists keep ProxySQL's VARCHAR values; other tables take each
    // value's own type so that numbers sort and sum as numbers.
    bool counters = columns.size() == 2 && sql::ascii_lower(columns[0]) == "variable_name" &&
                    sql::ascii_lower(columns[1]) == "variable_value";
    if (!stats_tables_.contains(name)) {
      std::vector<std::string> defs;
      for (auto& c : columns) defs.push_back(quote_identifier(c) + (counters ? " VARCHAR" : ""));
      auto r = db_.exec_script(
          fmt::format("DROP TABLE IF EXISTS stats.{0}; CREATE TABLE stats.{0} ({1});",
                      quote_identifier(name), fmt::join(defs, ", ")));
      if (!r) return r;
      stats_tables_.insert(name);
    }
    if (text.find(sql::ascii_lower(name)) == std::string::npos) continue;
    StatsTable table = metrics_.snapshot(name);
    if (auto r = db_.exec(fmt::format("DELETE FROM stats.{}", quote_identifier(name))); !r) {
      return r;
    }
    std::vector<std::string> marks(columns.size(), "?");
    auto stmt = db_.prepare(fmt::format("INSERT INTO stats.{} VALUES ({})", quote_identifier(name),
                                        fmt::join(marks, ", ")));
    if (!stmt) return std::unexpected(stmt.error());
    for (auto& row : table.rows) {
      for (size_t i = 0; i < columns.size(); ++i) {
        int index = static_cast<int>(i + 1);
        if (i >= row.size()) {
          stmt->bind_null(index);
        } else if (auto n = parse_int(row[i]); n && !counters) {
          stmt->bind(index, *n);
        } else {
          stmt->bind(index, std::string_view(row[i]));
        }
      }
      if (auto r = stmt->run(); !r) return r;
      stmt->reset();
    }
  }
  return {};
}

Result<mysql::QueryResult> AdminImpl::show_tables(const ShowTables& show) {
  std::string schema = show.schema.value_or(access_ == Access::kStats ? "stats" : "main");
  if (!is_known_schema(schema)) {
    return make_error(errc::kBadDatabase, fmt::format("Unknown database '{}'", schema));
  }
  if (auto r = refresh_stats_tables(""); !r) return std::unexpected(r.error());
  auto stmt = db_.prepare(fmt::format(
      "SELECT name FROM {}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
      "ESCAPE '\\' AND name NOT IN (?, ?) AND name LIKE ? ESCAPE '\\' ORDER BY name",
      schema));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, kSecretsTable).bind(2, kCredentialSecretsTable).bind(3, show.like.value_or("%"));
  std::vector<mysql::Row> rows;
  for (;;) {
    auto more = stmt->step();
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    rows.push_back({stmt->column_text(0)});
  }
  return text_result({"tables"}, std::move(rows));
}

Result<mysql::QueryResult> AdminImpl::show_databases() {
  auto stmt = db_.prepare("SELECT seq, name, file FROM pragma_database_list ORDER BY seq");
  if (!stmt) return std::unexpected(stmt.error());
  return run_to_result(db_, *stmt);
}

Result<mysql::QueryResult> AdminImpl::show_create_table(const ShowCreateTable& show) {
  if (auto r = refresh_stats_tables(""); !r) return std::unexpected(r.error());
  std::vector<std::string> schemas = {"main", "stats"};
  std::string table = show.table;
  if (auto dot = table.find('.'); dot != std::string::npos) {
    schemas = {table.substr(0, dot)};
    table = table.substr(dot + 1);
    if (!is_known_schema(schemas[0])) {
      return make_error(errc::kBadDatabase, fmt::format("Unknown database '{}'", schemas[0]));
    }
  }
  if (!is_hidden_table(table)) {
    for (auto& schema : schemas) {
      auto stmt =
          db_.prepare(fmt::format("SELECT name, sql FROM {}.sqlite_master WHERE type = 'table' AND "
                                  "lower(name) = ?",
                                  schema));
      if (!stmt) return std::unexpected(stmt.error());
      stmt->bind(1, table);
      auto row = stmt->step();
      if (!row) return std::unexpected(row.error());
      if (*row) {
        return text_result({"table", "Create Table"},
                           {{stmt->column_text(0), stmt->column_text(1)}});
      }
    }
  }
  return make_error(errc::kNoSuchTable, fmt::format("Table '{}' doesn't exist", show.table));
}

Result<mysql::QueryResult> AdminImpl::plain_sql(const std::string& sql) {
  if (auto r = refresh_stats_tables(sql); !r) return std::unexpected(r.error());
  if (sql::ascii_lower(sql).find("runtime_") != std::string::npos) {
    if (auto r = refresh_runtime_tables(); !r) return std::unexpected(r.error());
  }
  UntrustedScope untrusted(trusted_);
  auto stmt = db_.prepare(sql);
  if (!stmt) {
    const std::string& message = stmt.error().message;
    bool refused = message == "not authorized" || message.starts_with("access to ");
    if (refused && access_ == Access::kStats) {
      return make_error(errc::kTableAccessDenied,
                        "statement not permitted to a stats login: it reads the tables of the "
                        "stats schema only");
    }
    if (message == "not authorized") {
      return make_error(errc::kUnknownError, "statement not permitted on the admin interface");
    }
    return std::unexpected(stmt.error());
  }
  return run_to_result(db_, *stmt);
}

}  // namespace gp::admin
