// Reads and writes the configuration tables of one schema (`main` = memory
// layer, `disk` = disk layer). Every value is bound, never spliced.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "admin/config_file.h"
#include "admin/model_tables.h"
#include "admin/runtime_rows.h"
#include "admin/sqlite_db.h"
#include "admin/statement.h"
#include "admin/variables.h"

namespace gp::admin {

class Store {
 public:
  explicit Store(Database& db) : db_(db) {}

  // The module's variables with names in lower case and API keys as written
  // (the literal from global_secrets, not the mask).
  Result<VariableMap> read_variables(std::string_view schema, VarModule module);
  // Replaces the module's rows in `schema` by `values`.
  Result<void> replace_variables(std::string_view schema, VarModule module,
                                 const VariableMap& values);
  // Inserts or replaces `values`, leaving other rows alone.
  Result<void> upsert_variables(std::string_view schema, const VariableMap& values);
  // Adds the default of every registered variable that has no row.
  Result<void> insert_missing_defaults(std::string_view schema);

  // Rows of a row table (or its runtime_ copy) ordered by primary key; the
  // secrets of genai_credentials as written (the literal, not the mask).
  Result<std::vector<TextRow>> read_rows(std::string_view schema, std::string_view table);
  Result<void> replace_rows(std::string_view schema, std::string_view table,
                            const std::vector<TextRow>& rows);
  // Inserts (or replaces on a key clash) rows read from the config file.
  Result<void> upsert_config_rows(std::string_view schema, std::string_view table,
                                  const std::vector<TableRow>& rows);
  // The four model tables of `schema`, read as read_rows does; and replaced
  // by `rows` (runtime_ prefixes the table names for the runtime tables).
  Result<ModelRows> read_model_rows(std::string_view schema);
  Result<void> replace_model_rows(std::string_view schema, const ModelRows& rows,
                                  std::string_view prefix = {});
  // DELETE FROM to.table; INSERT INTO to.table SELECT * FROM from.table
  // (secrets carried over, to be masked again by the triggers of `to`).
  Result<void> copy_rows(std::string_view from, std::string_view to, std::string_view table);

  // The rows CHECKSUM hashes for a target in `schema`: (name, value) pairs
  // for variables, every column for users and servers, the four tables one
  // after another for models (ModelRows::joined).
  Result<std::vector<TextRow>> checksum_input(std::string_view schema, Target target);

 private:
  Database& db_;
};

// The table of a users/servers target (not GENAI MODELS, which has four).
std::string_view table_of(Target target);
// The module of a variables target.
VarModule target_module(Target target);
bool is_variables(Target target);

}  // namespace gp::admin
