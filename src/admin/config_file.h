// Reads the libconfig configuration file (proxysql.cnf-compatible keys) into
// validated values. Pure apart from reading the file.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "admin/variables.h"
#include "core/error.h"

namespace gp::admin {

using CellValue = std::variant<int64_t, std::string>;
using TableRow = std::vector<std::pair<std::string, CellValue>>;  // column name, value

struct ConfigFile {
  std::optional<std::string> datadir;
  VariableMap variables;          // full names ("genai-threads"), validated, normal form
  std::vector<TableRow> users;    // columns of mysql_users
  std::vector<TableRow> servers;  // columns of mysql_servers
  // genai_credentials, genai_models, genai_endpoints, genai_model_grants
  // and genai_jobs (the sections of the same names): table name -> rows.
  std::map<std::string, std::vector<TableRow>, std::less<>> model_tables;
  std::vector<std::string> warnings;  // keys that were ignored
};

// `name` is used in error messages ("genaiproxy.cnf: line 12: ...").
Result<ConfigFile> parse_config_text(const std::string& text, const std::string& name);
Result<ConfigFile> read_config_file(const std::string& path);

}  // namespace gp::admin
