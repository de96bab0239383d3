// The statements operators and their tools send besides the configuration
// verbs: SHOW FIELDS, SHOW TABLE STATUS, SHOW [FULL] PROCESSLIST, SHOW MYSQL
// STATUS, TRUNCATE of stats tables, SAVE CONFIG TO FILE, PROXYSQL FLUSH LOGS,
// PROXYSQL PAUSE / RESUME.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "admin/admin_impl.h"
#include "admin/columns.h"
#include "admin/result_builder.h"
#include "admin/schema.h"
#include "core/logging.h"
#include "fmt/format.h"
#include "sql/sql.h"

namespace gp::admin {

namespace {

// Splits "schema.table" (the schema defaults to `fallback`).
std::pair<std::string, std::string> split_table(const std::string& name, std::string fallback) {
  auto dot = name.find('.');
  if (dot == std::string::npos) return {std::move(fallback), name};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

// The column `name` of a stats snapshot, or "" when the provider has none.
std::string cell(const StatsTable& table, const std::vector<std::string>& row,
                 std::string_view name) {
  for (size_t i = 0; i < table.columns.size() && i < row.size(); ++i) {
    if (sql::ascii_lower(table.columns[i]) == name) return row[i];
  }
  return {};
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Result<mysql::QueryResult> AdminImpl::show_fields(const ShowFields& show) {
  auto [schema, table] = split_table(show.table, access_ == Access::kStats ? "stats" : "main");
  if (auto denied = check_schema_access(schema); !denied) return std::unexpected(denied.error());
  if (auto r = refresh_stats_tables(""); !r) return std::unexpected(r.error());
  std::vector<mysql::Row> rows;
  if (!is_hidden_table(table) && (schema == "main" || schema == "disk" || schema == "stats")) {
    auto stmt = db_.prepare(fmt::format(
        "SELECT name, type, \"notnull\", pk, dflt_value FROM pragma_table_info(?, '{}')", schema));
    if (!stmt) return std::unexpected(stmt.error());
    stmt->bind(1, table);
    for (;;) {
      auto more = stmt->step();
      if (!more) return std::unexpected(more.error());
      if (!*more) break;
      rows.push_back({stmt->column_text(0), stmt->column_text(1),
                      std::string(stmt->column_int(2) ? "NO" : "YES"),
                      std::string(stmt->column_int(3) ? "PRI" : ""), stmt->column_text(4),
                      std::string()});
    }
  }
  if (rows.empty()) {
    return make_error(errc::kNoSuchTable, fmt::format("Table '{}' doesn't exist", show.table));
  }
  return text_result({"Field", "Type", "Null", "Key", "Default", "Extra"}, std::move(rows));
}

Result<mysql::QueryResult> AdminImpl::show_table_status(const ShowTableStatus& show) {
  std::string schema = show.schema.value_or(access_ == Access::kStats ? "stats" : "main");
  if (auto denied = check_schema_access(schema); !denied) return std::unexpected(denied.error());
  ShowTables tables{schema, show.like};
  auto names = show_tables(tables);
  if (!names) return names;
  std::vector<mysql::Row> rows;
  for (auto& row : std::get<mysql::ResultSet>(*names).rows) {
    std::string name = row[0].value_or("");
    auto count = db_.prepare(fmt::format("SELECT count(*) FROM {}.\"{}\"", schema, name));
    if (!count) return std::unexpected(count.error());
    if (auto r = count->step(); !r) return std::unexpected(r.error());
    rows.push_back({name, std::string("SQLite"), std::string("10"), std::string("Dynamic"),
                    std::to_string(count->column_int(0)), std::string("0"), std::string("0"),
                    std::string("0"), std::string("0"), std::string("0"), std::nullopt,
                    std::nullopt, std::nullopt, std::nullopt, std::string("utf8mb4_general_ci"),
                    std::nullopt, std::string(), std::string()});
  }
  return text_result(
      {"Name", "Engine", "Version", "Row_format", "Rows", "Avg_row_length", "Data_length",
       "Max_data_length", "Index_length", "Data_free", "Auto_increment", "Create_time",
       "Update_time", "Check_time", "Collation", "Checksum", "Create_options", "Comment"},
      std::move(rows));
}

Result<mysql::QueryResult> AdminImpl::show_processlist(const ShowProcesslist& show) {
  StatsTable sessions = metrics_.snapshot("stats_mysql_processlist");
  std::vector<mysql::Row> rows;
  for (auto& row : sessions.rows) {
    std::string info = cell(sessions, row, "info");
    // As MySQL's SHOW PROCESSLIST: the first 100 characters unless FULL.
    if (!show.full && info.size() > 100) info.resize(100);
    rows.push_back({cell(sessions, row, "sessionid"), cell(sessions, row, "user"),
                    cell(sessions, row, "db"), cell(sessions, row, "hostgroup"),
                    cell(sessions, row, "command"), cell(sessions, row, "time_ms"),
                    std::move(info)});
  }
  return text_result({"SessionID", "user", "db", "hostgroup", "command", "time_ms", "info"},
                     std::move(rows));
}

Result<mysql::QueryResult> AdminImpl::show_mysql_status() {
  StatsTable counters = metrics_.snapshot("stats_mysql_global");
  std::vector<mysql::Row> rows;
  for (auto& row : counters.rows) {
    if (row.size() >= 2) rows.push_back({row[0], row[1]});
  }
  return text_result({"Variable_name", "Value"}, std::move(rows));
}

Result<mysql::QueryResult> AdminImpl::truncate_stats(const TruncateStats& truncate) {
  // A table with a _reset twin is emptied by reading the twin, as ProxySQL's
  // tools do.
  auto tables = metrics_.table_names();
  auto has = [&](const std::string& name) {
    return std::find(tables.begin(), tables.end(), name) != tables.end();
  };
  const std::string& name = truncate.table;
  std::string twin = name.ends_with("_reset") ? name : name + "_reset";
  if (metrics_.reset(name)) return mysql::OkPacket{};
  if (has(name) && has(twin)) {
    metrics_.snapshot(twin);
    return mysql::OkPacket{};
  }
  return make_error(errc::kUnknownError,
                    fmt::format("TRUNCATE of {} is not supported: only the stats tables that can "
                                "be reset (query digests, commands counters, errors, GenAI "
                                "usage) can be truncated",
                                truncate.table));
}

Result<mysql::QueryResult> AdminImpl::save_config_to_file(const SaveConfigToFile& save) {
  std::string text = "# Written by SAVE CONFIG TO FILE: the memory layer of the admin module.\n";
  text += fmt::format("datadir = {}\n", quoted(datadir_));
  for (auto module : {VarModule::kAdmin, VarModule::kMysql, VarModule::kGenai}) {
    auto values = store_.read_variables("main", module);
    if (!values) return std::unexpected(values.error());
    text += fmt::format("{}_variables =\n{{\n", sql::ascii_lower(module_name(module)));
    for (auto& [name, value] : *values) {
      const VariableSpec* spec = find_variable(name);
      if (!spec || spec->read_only) continue;
      text +=
          fmt::format("    {} = {}\n", name.substr(module_prefix(module).size()), quoted(value));
    }
    text += "}\n";
  }
  for (auto& table : row_tables()) {
    auto rows = store_.read_rows("main", table.name);
    if (!rows) return std::unexpected(rows.error());
    text += fmt::format("{} =\n(\n", table.name);
    for (size_t r = 0; r < rows->size(); ++r) {
      std::vector<std::string> cells;
      for (size_t c = 0; c < table.columns.size() && c < (*rows)[r].size(); ++c) {
        const SqlText& value = (*rows)[r][c];
        if (!value) continue;
        bool number = table.columns[c].is_int && parse_int(*value).has_value();
        cells.push_back(
            fmt::format("{} = {}", table.columns[c].name, number ? *value : quoted(*value)));
      }
      text +=
          fmt::format("    {{ {} }}{}\n", fmt::join(cells, ", "), r + 1 < rows->size() ? "," : "");
    }
    text += ")\n";
  }
  std::string temporary = save.path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      return make_error(errc::kUnknownError,
                        fmt::format("SAVE CONFIG TO FILE: cannot write {}", save.path));
    }
  }
  // The file holds passwords, as the configuration file does.
  ::chmod(temporary.c_str(), 0600);
  if (std::rename(temporary.c_str(), save.path.c_str()) != 0) {
    std::remove(temporary.c_str());
    return make_error(errc::kUnknownError,
                      fmt::format("SAVE CONFIG TO FILE: cannot write {}", save.path));
  }
  spdlog::info("admin: SAVE CONFIG TO FILE {}", save.path);
  return mysql::OkPacket{};
}

Result<mysql::QueryResult> AdminImpl::pause_listeners(const PauseListeners& pause) {
  if (!pause_listeners_) {
    return make_error(errc::kUnknownError, "PROXYSQL PAUSE/RESUME: no client interface");
  }
  if (auto r = pause_listeners_(pause.pause); !r) return std::unexpected(r.error());
  spdlog::info("admin: PROXYSQL {}", pause.pause ? "PAUSE" : "RESUME");
  return mysql::OkPacket{};
}

Result<mysql::QueryResult> AdminImpl::flush_logs() {
  reopen_log_file();
  spdlog::info("admin: PROXYSQL FLUSH LOGS");
  return mysql::OkPacket{};
}

}  // namespace gp::admin
