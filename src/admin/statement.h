// Classifies and parses one admin statement. Pure: text in, value out.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.h"

namespace gp::admin {

// What a LOAD/SAVE/CHECKSUM verb acts on. GENAI MODELS covers the four
// tables genai_models, genai_endpoints, genai_credentials and
// genai_model_grants together.
enum class Target {
  kGenaiVariables,
  kMysqlVariables,
  kAdminVariables,
  kMysqlUsers,
  kMysqlServers,
  kGenaiModels,
  kGenaiJobs,  // genai_jobs
};

enum class Transfer {
  kMemoryToRuntime,  // LOAD .. TO RUNTIME | TO RUN | FROM MEMORY | FROM MEM
  kRuntimeToMemory,  // SAVE .. FROM RUNTIME | FROM RUN | TO MEMORY | TO MEM
  kDiskToMemory,     // LOAD .. FROM DISK | TO MEMORY | TO MEM
  kMemoryToDisk,     // SAVE .. TO DISK | FROM MEMORY | FROM MEM
  kConfigToMemory,   // LOAD .. FROM CONFIG
};

enum class Layer { kDisk, kMemory, kRuntime };

// SET <module variable> = value
struct SetVariable {
  std::string name;   // lower case, as written otherwise
  std::string value;  // unquoted
};
// A SET that names no module variable (SET NAMES, SET autocommit=1, ...):
// clients send these on connect; the admin accepts and ignores them.
struct SessionSet {};
struct LoadSave {
  Target target;
  Transfer transfer;
};
struct ShowVariables {
  std::optional<std::string> like;  // the LIKE pattern, unquoted
};
// SELECT @@a, @@b [LIMIT n]; also DATABASE(), USER(), CURRENT_USER()
struct SelectVariables {
  std::vector<std::string> items;   // lower case: "@@genai-threads", "database()", ...
  std::vector<std::string> labels;  // column names as written
};
struct Checksum {
  Layer layer;
  Target target;
};
struct ShowTables {
  std::optional<std::string> schema;  // SHOW TABLES FROM|IN schema
  std::optional<std::string> like;    // SHOW TABLES [FROM schema] LIKE 'pattern'
};
// SHOW FIELDS|COLUMNS FROM|IN [schema.]table: MySQL's six columns.
struct ShowFields {
  std::string table;
};
// SHOW TABLE STATUS [FROM|IN schema] [LIKE 'pattern'].
struct ShowTableStatus {
  std::optional<std::string> schema;
  std::optional<std::string> like;
};
// SHOW [FULL] PROCESSLIST: the client sessions (stats_mysql_processlist).
struct ShowProcesslist {
  bool full = false;
};
// SHOW MYSQL STATUS: stats_mysql_global.
struct ShowMysqlStatus {};
// PROXYSQL FLUSH LOGS: reopens the log file (after logrotate moved it).
struct FlushLogs {};
// PROXYSQL PAUSE / PROXYSQL RESUME: stop and start accepting clients.
struct PauseListeners {
  bool pause = true;
};
// SAVE CONFIG TO FILE path: the memory layer as a configuration file.
struct SaveConfigToFile {
  std::string path;
};
// TRUNCATE [TABLE] [stats.]name of a stats table that can be reset.
struct TruncateStats {
  std::string table;
};
struct ShowDatabases {};
struct ShowCreateTable {
  std::string table;  // may be schema-qualified: stats.stats_genai_global
};
struct ShowWarnings {};
// BEGIN, START TRANSACTION, COMMIT, ROLLBACK: every admin statement commits
// on its own, so these are accepted and do nothing.
struct TransactionControl {};
// FLUSH GENAI CACHE, PROXYSQL FLUSH GENAI CACHE: empties the embedding cache.
struct FlushGenaiCache {};
// PROXYSQL RELOAD TLS: reads the TLS certificates and keys again.
struct ReloadTls {};
// Anything else is handed to SQLite as it is.
struct PlainSql {
  std::string sql;
};

using AdminStatement =
    std::variant<SetVariable, SessionSet, LoadSave, ShowVariables, SelectVariables, Checksum,
                 ShowTables, ShowDatabases, ShowCreateTable, ShowWarnings, TransactionControl,
                 FlushGenaiCache, ReloadTls, ShowFields, ShowTableStatus, ShowProcesslist,
                 ShowMysqlStatus, FlushLogs, PauseListeners, SaveConfigToFile, TruncateStats,
                 PlainSql>;

// Parses `sql`. Errors (1064/42000) are for statements that start like an
// admin verb but do not finish like one, e.g. LOAD GENAI VARIABLES TO NOWHERE.
Result<AdminStatement> parse_statement(std::string_view sql);

std::string_view target_name(Target target);  // "GENAI VARIABLES", ...

// Reads a value as SET accepts it: 'single' or "double" quoted (with '' or
// backslash escapes), or bare text up to the end. Returns nullopt on an
// unterminated quote or text after the closing quote.
std::optional<std::string> unquote_value(std::string_view text);

}  // namespace gp::admin
