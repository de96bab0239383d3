#include "admin/schema.h"

#include "fmt/format.h"

namespace gp::admin {

namespace {

constexpr std::string_view kGlobalVariablesBody =
    "(variable_name VARCHAR NOT NULL PRIMARY KEY, variable_value VARCHAR NOT NULL)";

// "(column sql, ..., PRIMARY KEY (key), constraints)"
std::string table_body(const RowTable& table, const std::vector<Column>& extra = {}) {
  std::string body = "(";
  for (const auto& c : table.columns) body += fmt::format("{} {}, ", c.name, c.sql);
  for (const auto& c : extra) body += fmt::format("{} {}, ", c.name, c.sql);
  body += fmt::format("PRIMARY KEY ({})", table.key);
  if (!table.constraints.empty()) body += fmt::format(", {}", table.constraints);
  return body + ")";
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

// The same for genai_credentials. A literal is what is neither empty nor a
// reference (env:NAME, file:PATH) nor the mask itself; writing the mask
// keeps the stored literal, so an UPDATE of another column or a rename keeps
// the secret.
constexpr std::string_view kCredentialTriggers = R"(
CREATE TRIGGER IF NOT EXISTS {0}.gp_secret_credential_insert AFTER INSERT ON genai_credentials
WHEN NEW.secret <> '********'
BEGIN
  DELETE FROM genai_credential_secrets WHERE name = NEW.name;
  INSERT INTO genai_credential_secrets SELECT NEW.name, NEW.secret
    WHERE NEW.secret <> '' AND substr(NEW.secret, 1, 4) <> 'env:'
      AND substr(NEW.secret, 1, 5) <> 'file:';
  UPDATE genai_credentials SET secret = '********'
    WHERE name = NEW.name AND NEW.secret <> '' AND substr(NEW.secret, 1, 4) <> 'env:'
      AND substr(NEW.secret, 1, 5) <> 'file:';
END;
CREATE TRIGGER IF NOT EXISTS {0}.gp_secret_credential_update AFTER UPDATE ON genai_credentials
WHEN NEW.secret <> '********'
BEGIN
  DELETE FROM genai_credential_secrets WHERE name IN (OLD.name, NEW.name);
  INSERT INTO genai_credential_secrets SELECT NEW.name, NEW.secret
    WHERE NEW.secret <> '' AND substr(NEW.secret, 1, 4) <> 'env:'
      AND substr(NEW.secret, 1, 5) <> 'file:';
  UPDATE genai_credentials SET secret = '********'
    WHERE name = NEW.name AND NEW.secret <> '' AND substr(NEW.secret, 1, 4) <> 'env:'
      AND substr(NEW.secret, 1, 5) <> 'file:';
END;
CREATE TRIGGER IF NOT EXISTS {0}.gp_secret_credential_rename AFTER UPDATE ON genai_credentials
WHEN NEW.secret = '********' AND NEW.name <> OLD.name
BEGIN
  UPDATE genai_credential_secrets SET name = NEW.name WHERE name = OLD.name;
END;
CREATE TRIGGER IF NOT EXISTS {0}.gp_secret_credential_delete AFTER DELETE ON genai_credentials
BEGIN
  DELETE FROM genai_credential_secrets WHERE name = OLD.name;
END;
)";

}  // namespace

bool is_hidden_table(std::string_view table) {
  return table == kSecretsTable || table == kCredentialSecretsTable;
}

Result<void> create_config_tables(Database& db, std::string_view schema) {
  std::string script = fmt::format(
      "CREATE TABLE IF NOT EXISTS {0}.global_variables {1};"
      "CREATE TABLE IF NOT EXISTS {0}.global_secrets {1};"
      "CREATE TABLE IF NOT EXISTS {0}.{2} (name VARCHAR NOT NULL PRIMARY KEY, "
      "secret VARCHAR NOT NULL);",
      schema, kGlobalVariablesBody, kCredentialSecretsTable);
  for (const auto& table : row_tables()) {
    script +=
        fmt::format("CREATE TABLE IF NOT EXISTS {}.{} {};", schema, table.name, table_body(table));
  }
  script += fmt::format(fmt::runtime(kSecretTriggers), schema);
  script += fmt::format(fmt::runtime(kCredentialTriggers), schema);
  return db.exec_script(script);
}

// The runtime tables show what runtime holds: no triggers, and secrets are
// masked by the code that fills them.
Result<void> create_runtime_tables(Database& db) {
  std::string script = fmt::format("CREATE TABLE IF NOT EXISTS main.runtime_global_variables {};",
                                   kGlobalVariablesBody);
  for (const auto& table : row_tables()) {
    bool endpoints = table.name == kGenaiEndpoints;
    script += fmt::format(
        "CREATE TABLE IF NOT EXISTS main.runtime_{} {};", table.name,
        table_body(table, endpoints ? genai_endpoint_discovery_columns() : std::vector<Column>{}));
  }
  return db.exec_script(script);
}

}  // namespace gp::admin
