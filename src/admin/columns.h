// The columns of the row tables (mysql_users, mysql_servers and the four
// genai model tables). Pure data: the configuration-file reader uses it
// without the SQLite store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gp::admin {

// One column of a row table. The table's SQL, its
// column order and the configuration file's keys and checks all come from
// these rows, so a column is added or changed in one place.
struct Column {
  std::string_view name;
  std::string_view sql;  // what follows the name in CREATE TABLE: type, CHECK, DEFAULT
  // The configuration file's reading of the column. The range repeats the
  // CHECK of `sql` (kept verbatim, since SQLite quotes it in its errors);
  // where `sql` has none, the range is only checked here and at LOAD.
  bool is_int = false;
  int64_t min = 0;
  int64_t max = 0;
  bool required = false;                       // text that must be given and not empty
  std::vector<std::string_view> choices = {};  // text that must be one of these
  std::string_view alias = {};                 // a further key ProxySQL's files use
};

// The columns of the row tables, in table order.
const std::vector<Column>& mysql_users_table();
const std::vector<Column>& mysql_servers_table();
const std::vector<Column>& genai_models_table();
const std::vector<Column>& genai_endpoints_table();
const std::vector<Column>& genai_credentials_table();
const std::vector<Column>& genai_model_grants_table();
const std::vector<Column>& genai_jobs_table();

// The columns runtime_genai_endpoints has after those of genai_endpoints:
// what the endpoint's capability probes found (SPEC-MODELS §2). Unknown
// numbers are NULL.
const std::vector<Column>& genai_endpoint_discovery_columns();

// Column names of the two row tables, in table order.
const std::vector<std::string>& mysql_users_columns();
const std::vector<std::string>& mysql_servers_columns();

// The tables of named models (SPEC-MODELS §1, docs/MODELS.md), loaded and
// saved together as GENAI MODELS.
inline constexpr std::string_view kGenaiModels = "genai_models";
inline constexpr std::string_view kGenaiEndpoints = "genai_endpoints";
inline constexpr std::string_view kGenaiCredentials = "genai_credentials";
inline constexpr std::string_view kGenaiModelGrants = "genai_model_grants";
// Embedding jobs (SPEC-JOBS, docs/JOBS.md), loaded and saved as GENAI JOBS.
inline constexpr std::string_view kGenaiJobs = "genai_jobs";

// A row table: its columns, its primary key (also the order rows are read
// in) and any further constraint of its CREATE TABLE.
struct RowTable {
  std::string_view name;
  std::vector<Column> columns;
  std::string_view key;            // "username, backend"
  std::string_view constraints;    // "UNIQUE (username, frontend)", or empty
  std::vector<std::string> names;  // of the columns, in table order
};

// mysql_users, mysql_servers, the four model tables in the order their
// rows refer to each other (credentials, models, endpoints, grants), then
// genai_jobs.
const std::vector<RowTable>& row_tables();
// The model tables only, in the same order.
std::vector<const RowTable*> genai_model_tables();
// The table `name` names, also as runtime_<name>; nullptr for any other.
const RowTable* find_row_table(std::string_view name);

}  // namespace gp::admin
