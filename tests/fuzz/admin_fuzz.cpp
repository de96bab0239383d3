// fuzz-sources: src/admin/statement.cpp src/sql/*.cpp src/mysql/*.cpp src/admin/config_file.cpp
// src/admin/columns.cpp src/admin/variables.cpp The admin module's parsers: the statement
// classifier (first byte even) and the libconfig configuration reader (first byte odd), plus the
// variable validators on every value either of them produces.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "admin/config_file.h"
#include "admin/statement.h"
#include "admin/variables.h"

namespace {

void check_error(const gp::Error& e) {
  if (e.message.empty() || e.sqlstate.size() != 5 || e.code == 0) __builtin_trap();
}

// A value in normal form validates to itself.
void check_normal_form(const gp::admin::VariableSpec& spec, std::string_view value) {
  auto first = gp::admin::validate_value(spec, value);
  if (!first) {
    check_error(first.error());
    return;
  }
  auto second = gp::admin::validate_value(spec, *first);
  if (!second || *second != *first) __builtin_trap();
}

void fuzz_statement(std::string_view sql) {
  auto parsed = gp::admin::parse_statement(sql);
  if (!parsed) {
    check_error(parsed.error());
    return;
  }
  if (auto* set = std::get_if<gp::admin::SetVariable>(&*parsed)) {
    if (set->name.empty()) __builtin_trap();
    for (char c : set->name) {
      if (c >= 'A' && c <= 'Z') __builtin_trap();
    }
    if (auto* spec = gp::admin::find_variable(set->name)) check_normal_form(*spec, set->value);
  }
  if (auto* select = std::get_if<gp::admin::SelectVariables>(&*parsed)) {
    if (select->items.empty() || select->items.size() != select->labels.size()) __builtin_trap();
  }
}

void fuzz_config(const std::string& text) {
  auto cfg = gp::admin::parse_config_text(text, "fuzz.cnf");
  if (!cfg) {
    check_error(cfg.error());
    return;
  }
  for (auto& [name, value] : cfg->variables) {
    auto* spec = gp::admin::find_variable(name);
    if (!spec) __builtin_trap();
    auto again = gp::admin::validate_value(*spec, value);
    if (!again || *again != value) __builtin_trap();
  }
}

}  // namespace

// libconfig's scanner leaks a few bytes on some malformed files (strbuf_append,
// libconfig_yylex); those leaks are the library's, not ours.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libconfig++.so\n";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    fuzz_statement(rest);
  } else {
    fuzz_config(rest);
  }
  return 0;
}
