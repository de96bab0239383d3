// The admin tables, in ProxySQL's shape, and the statements that create them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "admin/columns.h"
#include "admin/sqlite_db.h"
#include "core/error.h"

namespace gp::admin {

// The configuration tables that exist in both `main` and `disk`.
inline constexpr std::string_view kGlobalVariables = "global_variables";
inline constexpr std::string_view kMysqlUsers = "mysql_users";
inline constexpr std::string_view kMysqlServers = "mysql_servers";

// Literal API keys never sit in a table a statement can read: a trigger moves
// them into this table (hidden from admin statements by the authorizer) and
// leaves "********" in global_variables.
inline constexpr std::string_view kSecretsTable = "global_secrets";
inline constexpr std::string_view kSecretTriggerPrefix = "gp_secret_";
// The same for the literal secrets of genai_credentials: the row keeps
// "********", this table (name, secret) the literal.
inline constexpr std::string_view kCredentialSecretsTable = "genai_credential_secrets";

// Embedding jobs' progress, in the disk database only (job_checkpoints.cpp).
inline constexpr std::string_view kJobCheckpointsTable = "genai_job_checkpoints";
Result<void> create_job_checkpoint_table(Database& db);

// Whether admin statements must never see `table` (in any schema).
bool is_hidden_table(std::string_view table);

// Creates the configuration tables and secret triggers in `schema` (main or
// disk) when missing.
Result<void> create_config_tables(Database& db, std::string_view schema);
// Creates the runtime_* tables in main.
Result<void> create_runtime_tables(Database& db);

}  // namespace gp::admin
