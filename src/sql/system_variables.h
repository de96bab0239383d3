// The table of system variables the proxy answers for, and the rules that
// turn an assigned value into the value the server would store. Private to
// src/sql.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "sql/sql.h"

namespace gp::sql::detail {

enum class VarType : uint8_t {
  kInteger,    // unsigned; BIGINT UNSIGNED in SELECT
  kBoolean,    // ON/OFF; 1/0 (BIGINT) in SELECT
  kText,       // any text
  kEnum,       // one of `choices`, by name or index
  kSqlMode,    // a set of modes, kept in the server's canonical order
  kCharset,    // a character set name
  kCollation,  // a collation name
  kTimeZone,   // SYSTEM or a zone
};

enum class Scope : uint8_t { kBoth, kGlobal, kSession };

enum class Access : uint8_t {
  kWritable,         // SET [SESSION] works
  kReadOnly,         // 1238: a read only variable
  kSetGlobal,        // 1229: a GLOBAL variable, set with SET GLOBAL
  kSessionReadOnly,  // 1621: the SESSION value is read-only
};

enum class Flavor : uint8_t { kBoth, kMariaDb, kMySql };

struct VariableSpec {
  std::string_view name;
  VarType type;
  Scope scope = Scope::kBoth;
  Access access = Access::kWritable;
  uint64_t min = 0;
  uint64_t max = UINT64_MAX;
  std::string_view choices = {};  // kEnum: comma-separated, in index order
  bool nullable = false;
  Flavor flavor = Flavor::kBoth;
};

// A value as an expression evaluated to it.
struct Value {
  enum class Kind { kNull, kString, kNumber } kind = Kind::kNull;
  std::string text;
};

// ASCII case mapping (names and keywords are ASCII).
std::string lower(std::string_view s);
std::string upper(std::string_view s);

// The spec of `name` (lower case), whatever the flavor; nullptr if none.
const VariableSpec* find_variable(std::string_view name);

bool is_mariadb(const SessionVariables& vars);

// The value the server stores when `v` is assigned `x` (std::nullopt: NULL),
// or its error. `warnings` counts values that were clamped into range.
Result<std::optional<std::string>> assigned_value(const VariableSpec& v, const Value& x,
                                                  bool mariadb, uint16_t& warnings);

// Variables the server changes together with `name` when it is set to
// `value`: tx_isolation and transaction_isolation are one variable, and a
// character set and its collation follow each other.
std::vector<std::pair<std::string, std::optional<std::string>>> companions(
    std::string_view name, const std::optional<std::string>& value, bool mariadb);

// The default collation of a (lower-case, known) character set.
std::string default_collation(std::string_view charset, bool mariadb);

// Whether `collation` (lower case) belongs to `charset`.
bool collation_of(std::string_view collation, std::string_view charset);

}  // namespace gp::sql::detail
