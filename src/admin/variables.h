// The registry of every configuration variable: name, type, default, range,
// documentation line and the settings member it fills, with validation.
// Pure: no I/O except reading the environment for `env:NAME`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/config.h"
#include "core/error.h"

namespace gp::admin {

enum class VarModule { kGenai, kMysql, kAdmin };

enum class VarType {
  kInt,          // integer in [min, max]
  kBool,         // true/false (also 1/0, on/off, yes/no); stored as "true"/"false"
  kString,       // free text (non-empty when `required`)
  kEnum,         // one of `choices` (case-insensitive); stored as listed
  kUri,          // http(s)://host[:port][/path] or `lexical:`
  kAddressList,  // host:port[;host:port...]
  kCredentials,  // user:password[;user:password...]
  kSecret,       // literal, or env:NAME resolved at LOAD ... TO RUNTIME
};

// The member of a module's settings struct that a variable fills. Empty for a
// variable with no setting behind it (admin-version).
template <class... Settings>
using SettingsMemberOf = std::variant<std::monostate, bool Settings::*..., int Settings::*...,
                                      int64_t Settings::*..., std::string Settings::*...>;
using SettingsMember = SettingsMemberOf<GenaiSettings, MysqlSettings, AdminSettings>;

struct VariableSpec {
  std::string name;  // full name with the module prefix, e.g. "genai-threads"
  VarModule module;
  VarType type;
  std::string default_value;
  int64_t min = 0;
  int64_t max = 0;
  std::vector<std::string> choices;
  bool required = false;   // kString: must not be empty
  bool read_only = false;  // cannot be changed by SET; always the built-in value
  std::string help;
  SettingsMember member;
};

// The ProxySQL release whose admin interface this one matches (tables, verbs,
// column types), and the version SELECT VERSION() and @@admin-version show
// on the admin interface: "3.0.1-genaiproxy-0.1.0".
inline constexpr std::string_view kProxysqlAdminRelease = "3.0.1";
std::string admin_version();

// The prefix of a module's variables, e.g. "genai-".
std::string_view module_prefix(VarModule module);
// "GENAI", "MYSQL", "ADMIN".
std::string_view module_name(VarModule module);

// All variables of all modules, sorted by name.
std::span<const VariableSpec> all_variables();
// Case-insensitive lookup of a full name.
const VariableSpec* find_variable(std::string_view name);
// The module a full name belongs to by its prefix (genai-, mysql-, admin-).
std::optional<VarModule> module_of(std::string_view name);

// Checks `value` against the spec and returns its normal form (ints without
// leading zeros, bools as true/false, URIs with a lower-case scheme). The
// error is 1231/42000 and names the variable, the value and what is allowed.
Result<std::string> validate_value(const VariableSpec& spec, std::string_view value);

// What a value looks like to a reader: secrets (literal API keys) become
// "********", the passwords of credentials become "********"; `env:NAME`
// references and empty values are shown as they are.
std::string display_value(const VariableSpec& spec, std::string_view value);
bool is_secret_literal(std::string_view value);

// Resolves an `env:NAME` reference (or returns a literal unchanged). An unset
// variable is an error naming `variable` and NAME.
Result<std::string> resolve_secret(std::string_view variable, std::string_view value);

// The variable's value in `config`, as text (the normal form validate_value
// returns); the default for a variable with no member.
std::string value_in(const VariableSpec& spec, const RuntimeConfig& config);
// Sets the variable's member in `config` from a validated value. A secret
// given as env:NAME is resolved here; an unset variable is an error.
Result<void> assign(const VariableSpec& spec, std::string_view value, RuntimeConfig& config);

// Describes the accepted values of a spec, e.g. "an integer in 1..256".
std::string describe_allowed(const VariableSpec& spec);

// Shared parsers for table validation and settings building.
std::optional<int64_t> parse_int(std::string_view text);
std::optional<bool> parse_bool(std::string_view text);

// name -> value of one module's variables
using VariableMap = std::map<std::string, std::string>;

}  // namespace gp::admin
