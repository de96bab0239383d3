// Shared by the files that answer connect-time statements (session_*.cpp):
// a cursor over significant tokens, system-variable references and literal
// readers. Private to src/sql.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"
#include "sql/sql.h"
#include "sql/system_variables.h"

namespace gp::sql::detail {

template <class T>
using Maybe = std::optional<T>;  // std::nullopt: not a statement answered here

LocalAnswer answer_with(mysql::QueryResult result);

// The value of `name` in one scope's map; a missing key reads as NULL, so
// that a table built by hand cannot make a statement throw.
std::optional<std::string> lookup(const std::map<std::string, std::optional<std::string>>& scope,
                                  const std::string& name);

class Cursor {
 public:
  explicit Cursor(std::span<const Token> tokens) : t_(tokens) {}
  bool at_end() const { return i_ >= t_.size(); }
  const Token* peek(size_t ahead = 0) const {
    return i_ + ahead < t_.size() ? &t_[i_ + ahead] : nullptr;
  }
  const Token& take() { return t_[i_++]; }
  const Token& previous() const { return t_[i_ - 1]; }
  bool word(std::string_view keyword) {
    if (!peek() || !is_word(*peek(), keyword)) return false;
    ++i_;
    return true;
  }
  bool punct(std::string_view p) {
    if (!peek() || !is_punct(*peek(), p)) return false;
    ++i_;
    return true;
  }
  static bool is_punct(const Token& t, std::string_view p) {
    return t.kind == TokenKind::kPunct && t.text == p;
  }

 private:
  std::span<const Token> t_;
  size_t i_ = 0;
};

struct VarRef {
  enum class Scope { kDefault, kSession, kGlobal } scope = Scope::kDefault;
  std::string name;  // as written, quotes removed
};

// `@@name`, `@@session.name`, `@@global.name`, `@@local.name`; a structured
// name (`@@keycache.key_buffer_size`) is not answered.
Maybe<VarRef> parse_variable(const Token& t);

Error unknown_variable(std::string_view name);
Error scope_error(const VariableSpec& v, std::string_view what);  // 1238: "is a <what> variable"

// The spec of a variable the session knows (lower-case name), or nullptr.
const VariableSpec* known(const SessionVariables& vars, const std::string& name);

struct VarValue {
  const VariableSpec* spec;
  std::optional<std::string> value;  // stored form
};

// The value `ref` reads, with the server's scope errors.
Result<VarValue> read_variable(const SessionVariables& vars, const VarRef& ref);

// A variable as an expression: booleans read as 1/0, as SELECT shows them.
Value as_value(const VarValue& v);

// Adjacent string literals are one value, as the server concatenates them.
std::string take_strings(Cursor& c, LexOptions lex);

// An optionally signed number literal; the text keeps a minus sign.
Maybe<std::string> take_number(Cursor& c);

// The statements after their first keyword (consumed).
Result<Maybe<LocalAnswer>> answer_select(Cursor& c, std::string_view sql,
                                         const SessionVariables& vars, const SessionInfo& info);
Result<Maybe<LocalAnswer>> answer_show(Cursor& c, const SessionVariables& vars);
Result<Maybe<LocalAnswer>> answer_set(Cursor& c, SessionVariables& vars);

}  // namespace gp::sql::detail
