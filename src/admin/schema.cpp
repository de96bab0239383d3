#include "admin/schema.h"

#include "fmt/format.h"

namespace gp::admin {

namespace {

// Table bodies follow ProxySQL's column names, types and keys so that its
// documentation and habits apply.
constexpr std::string_view kGlobalVariablesBody =
    "(variable_name VARCHAR NOT NULL PRIMARY KEY, variable_value VARCHAR NOT NULL)";

constexpr std::string_view kMysqlUsersBody =
    "(username VARCHAR NOT NULL, password VARCHAR, "
    "active INT CHECK (active IN (0,1)) NOT NULL DEFAULT 1, "
    "use_ssl INT CHECK (use_ssl IN (0,1)) NOT NULL DEFAULT 0, "
    "default_hostgroup INT NOT NULL DEFAULT 0, default_schema VARCHAR, "
    "schema_locked INT CHECK (schema_locked IN (0,1)) NOT NULL DEFAULT 0, "
    "transaction_persistent INT CHECK (transaction_persistent IN (0,1)) NOT NULL DEFAULT 1, "
    "fast_forward INT CHECK (fast_forward IN (0,1)) NOT NULL DEFAULT 0, "
    "backend INT CHECK (backend IN (0,1)) NOT NULL DEFAULT 1, "
    "frontend INT CHECK (frontend IN (0,1)) NOT NULL DEFAULT 1, "
    "max_connections INT CHECK (max_connections >= 0) NOT NULL DEFAULT 10000, "
    "attributes VARCHAR CHECK (JSON_VALID(attributes) OR attributes = '') NOT NULL DEFAULT '', "
    "comment VARCHAR NOT NULL DEFAULT '', "
    "PRIMARY KEY (username, backend), UNIQUE (username, frontend))";

constexpr std::string_view kMysqlServersBody =
    "(hostgroup_id INT CHECK (hostgroup_id >= 0) NOT NULL DEFAULT 0, "
    "hostname VARCHAR NOT NULL, "
    "port INT CHECK (port >= 0 AND port <= 65535) NOT NULL DEFAULT 3306, "
    "gtid_port INT CHECK ((gtid_port <> port OR gtid_port = 0) AND gtid_port >= 0 AND "
    "gtid_port <= 65535) NOT NULL DEFAULT 0, "
    "status VARCHAR CHECK (UPPER(status) IN ('ONLINE','SHUNNED','OFFLINE_SOFT','OFFLINE_HARD')) "
    "NOT NULL DEFAULT 'ONLINE', "
    "weight INT CHECK (weight >= 0 AND weight <= 10000000) NOT NULL DEFAULT 1, "
    "compression INT CHECK (compression >= 0 AND compression <= 102400) NOT NULL DEFAULT 0, "
    "max_connections INT CHECK (max_connections >= 0) NOT NULL DEFAULT 1000, "
    "max_replication_lag INT CHECK (max_replication_lag >= 0 AND max_replication_lag <= "
    "126144000) NOT NULL DEFAULT 0, "
    "use_ssl INT CHECK (use_ssl IN (0,1)) NOT NULL DEFAULT 0, "
    "max_latency_ms INT UNSIGNED CHECK (max_latency_ms >= 0) NOT NULL DEFAULT 0, "
    "comment VARCHAR NOT NULL DEFAULT '', "
    "PRIMARY KEY (hostgroup_id, hostname, port))";

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

const std::vector<std::string>& mysql_users_columns() {
  static const std::vector<std::string> columns = {
      "username",          "password",       "active",        "use_ssl",
      "default_hostgroup", "default_schema", "schema_locked", "transaction_persistent",
      "fast_forward",      "backend",        "frontend",      "max_connections",
      "attributes",        "comment"};
  return columns;
}

const std::vector<std::string>& mysql_servers_columns() {
  static const std::vector<std::string> columns = {
      "hostgroup_id", "hostname",        "port",
      "gtid_port",    "status",          "weight",
      "compression",  "max_connections", "max_replication_lag",
      "use_ssl",      "max_latency_ms",  "comment"};
  return columns;
}

Result<void> create_config_tables(Database& db, std::string_view schema) {
  std::string script = fmt::format(
      "CREATE TABLE IF NOT EXISTS {0}.global_variables {1};"
      "CREATE TABLE IF NOT EXISTS {0}.global_secrets {1};"
      "CREATE TABLE IF NOT EXISTS {0}.mysql_users {2};"
      "CREATE TABLE IF NOT EXISTS {0}.mysql_servers {3};",
      schema, kGlobalVariablesBody, kMysqlUsersBody, kMysqlServersBody);
  script += fmt::format(fmt::runtime(kSecretTriggers), schema);
  return db.exec_script(script);
}

Result<void> create_runtime_tables(Database& db) {
  std::string script = fmt::format(
      "CREATE TABLE IF NOT EXISTS main.runtime_global_variables {};"
      "CREATE TABLE IF NOT EXISTS main.runtime_mysql_users {};"
      "CREATE TABLE IF NOT EXISTS main.runtime_mysql_servers {};",
      kGlobalVariablesBody, kMysqlUsersBody, kMysqlServersBody);
  return db.exec_script(script);
}

}  // namespace gp::admin
