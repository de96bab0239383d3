#include "admin/schema.h"

#include "fmt/format.h"

namespace gp::admin {

namespace {

constexpr std::string_view kGlobalVariablesBody =
    "(variable_name VARCHAR NOT NULL PRIMARY KEY, variable_value VARCHAR NOT NULL)";

// "(column sql, ..., <keys>)"
std::string table_body(const std::vector<Column>& columns, std::string_view keys) {
  std::string body = "(";
  for (const auto& c : columns) body += fmt::format("{} {}, ", c.name, c.sql);
  return body + std::string(keys) + ")";
}

const std::string& mysql_users_body() {
  static const std::string body = table_body(
      mysql_users_table(), "PRIMARY KEY (username, backend), UNIQUE (username, frontend)");
  return body;
}

const std::string& mysql_servers_body() {
  static const std::string body =
      table_body(mysql_servers_table(), "PRIMARY KEY (hostgroup_id, hostname, port)");
  return body;
}

// Moves a literal API key written to global_variables into global_secrets and
// masks it. Empty values and env:NAME references are not secret and stay.
// The trigger bodies use unqualified names, so each schema's triggers act on
// that schema's tables.
constexpr std::string_view kSecretTriggers = R"(
CREATE TRIGGER IF NOT EXISTS {0}.gp_secret_insert AFTER INSERT ON global_variables
WHEN substr(NEW.variable_name, -8) = '_api_key' AND NEW.variable_value <> '********'
BEGIN
  DELETE FROM global_secrets WHERE variable_name = NEW.variable_name;
  INSERT INTO global_secrets SELECT NEW.variable_name, NEW.variable_value
    WHERE NEW.variable_value <> '' AND substr(NEW.variable_value, 1, 4) <> 'env:';
  UPDATE global_variables SET variable_value = '********'
    WHERE variable_name = NEW.variable_name AND NEW.variable_value <> ''
      AND substr(NEW.variable_value, 1, 4) <> 'env:';
END;
CREATE TRIGGER IF NOT EXISTS {0}.gp_secret_update AFTER UPDATE ON global_variables
WHEN substr(NEW.variable_name, -8) = '_api_key' AND NEW.variable_value <> '********'
BEGIN
  DELETE FROM global_secrets WHERE variable_name = NEW.variable_name;
  INSERT INTO global_secrets SELECT NEW.variable_name, NEW.variable_value
    WHERE NEW.variable_value <> '' AND substr(NEW.variable_value, 1, 4) <> 'env:';
  UPDATE global_variables SET variable_value = '********'
    WHERE variable_name = NEW.variable_name AND NEW.variable_value <> ''
      AND substr(NEW.variable_value, 1, 4) <> 'env:';
END;
CREATE TRIGGER IF NOT EXISTS {0}.gp_secret_delete AFTER DELETE ON global_variables
WHEN substr(OLD.variable_name, -8) = '_api_key'
BEGIN
  DELETE FROM global_secrets WHERE variable_name = OLD.variable_name;
END;
)";

}  // namespace

Result<void> create_config_tables(Database& db, std::string_view schema) {
  std::string script = fmt::format(
      "CREATE TABLE IF NOT EXISTS {0}.global_variables {1};"
      "CREATE TABLE IF NOT EXISTS {0}.global_secrets {1};"
      "CREATE TABLE IF NOT EXISTS {0}.mysql_users {2};"
      "CREATE TABLE IF NOT EXISTS {0}.mysql_servers {3};",
      schema, kGlobalVariablesBody, mysql_users_body(), mysql_servers_body());
  script += fmt::format(fmt::runtime(kSecretTriggers), schema);
  return db.exec_script(script);
}

Result<void> create_runtime_tables(Database& db) {
  std::string script = fmt::format(
      "CREATE TABLE IF NOT EXISTS main.runtime_global_variables {};"
      "CREATE TABLE IF NOT EXISTS main.runtime_mysql_users {};"
      "CREATE TABLE IF NOT EXISTS main.runtime_mysql_servers {};",
      kGlobalVariablesBody, mysql_users_body(), mysql_servers_body());
  return db.exec_script(script);
}

}  // namespace gp::admin
