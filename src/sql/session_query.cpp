// Recognises and answers the statements of sql.h's answer_session_query.
// Each statement is read from the significant tokens in two steps: a parse
// that gives up (std::nullopt) on anything outside the answered forms, then an
// evaluation that can fail the way the server fails. Errors therefore only
// come from statements the proxy would answer.
#include "sql/session_query.h"

namespace gp::sql {

namespace detail {

LocalAnswer answer_with(mysql::QueryResult result) {
  LocalAnswer answer;
  answer.result = std::move(result);
  return answer;
}

std::optional<std::string> lookup(const std::map<std::string, std::optional<std::string>>& scope,
                                  const std::string& name) {
  auto it = scope.find(name);
  return it == scope.end() ? std::nullopt : it->second;
}

// ---- variables --------------------------------------------------------------

Maybe<VarRef> parse_variable(const Token& t) {
  auto parts = significant_tokens(t.text.substr(2));
  auto is_name = [](const Token& p) {
    return p.kind == TokenKind::kWord || p.kind == TokenKind::kQuotedIdentifier;
  };
  VarRef ref;
  if (parts.size() == 1 && is_name(parts[0])) {
    ref.name = identifier_value(parts[0]);
    return ref;
  }
  if (parts.size() != 3 || !is_name(parts[0]) || !Cursor::is_punct(parts[1], ".") ||
      !is_name(parts[2])) {
    return std::nullopt;
  }
  std::string scope = lower(identifier_value(parts[0]));
  if (scope == "global") {
    ref.scope = VarRef::Scope::kGlobal;
  } else if (scope == "session" || scope == "local") {
    ref.scope = VarRef::Scope::kSession;
  } else {
    return std::nullopt;
  }
  ref.name = identifier_value(parts[2]);
  return ref;
}

Error unknown_variable(std::string_view name) {
  return Error::make(errc::kUnknownSystemVariable,
                     "Unknown system variable '" + std::string(name) + "'");
}

Error scope_error(const VariableSpec& v, std::string_view what) {
  return Error::make(errc::kIncorrectScope, "Variable '" + std::string(v.name) + "' is a " +
                                                std::string(what) + " variable");
}

const VariableSpec* known(const SessionVariables& vars, const std::string& name) {
  const VariableSpec* spec = detail::find_variable(name);
  return spec && vars.global.contains(name) ? spec : nullptr;
}

Result<VarValue> read_variable(const SessionVariables& vars, const VarRef& ref) {
  std::string name = lower(ref.name);
  const VariableSpec* spec = known(vars, name);
  if (!spec) return std::unexpected(unknown_variable(ref.name));
  if (ref.scope == VarRef::Scope::kGlobal) {
    if (spec->scope == detail::Scope::kSession)
      return std::unexpected(scope_error(*spec, "SESSION"));
    return VarValue{spec, lookup(vars.global, name)};
  }
  if (ref.scope == VarRef::Scope::kSession && spec->scope == detail::Scope::kGlobal) {
    return std::unexpected(scope_error(*spec, "GLOBAL"));
  }
  return VarValue{spec, lookup(vars.values, name)};
}

Value as_value(const VarValue& v) {
  if (!v.value) return Value{};
  if (v.spec->type == VarType::kBoolean) {
    return Value{Value::Kind::kNumber, *v.value == "ON" ? "1" : "0"};
  }
  if (v.spec->type == VarType::kInteger) return Value{Value::Kind::kNumber, *v.value};
  return Value{Value::Kind::kString, *v.value};
}

// ---- literals ---------------------------------------------------------------

std::string take_strings(Cursor& c, LexOptions lex) {
  std::string value;
  while (c.peek() && c.peek()->kind == TokenKind::kString) value += string_value(c.take(), lex);
  return value;
}

Maybe<std::string> take_number(Cursor& c) {
  std::string sign;
  if (c.peek() && (Cursor::is_punct(*c.peek(), "-") || Cursor::is_punct(*c.peek(), "+")) &&
      c.peek(1) && c.peek(1)->kind == TokenKind::kNumber) {
    sign = c.take().text == "-" ? "-" : "";
  }
  if (!c.peek() || c.peek()->kind != TokenKind::kNumber) return std::nullopt;
  return sign + std::string(c.take().text);
}

}  // namespace detail

namespace {

using detail::Cursor;
using detail::Maybe;

// ---- transactions and USE ------------------------------------------------

Maybe<LocalAnswer> answer_transaction(Cursor& c, LocalAnswer::Transaction kind) {
  if (kind == LocalAnswer::Transaction::kBegin && is_word(c.previous(), "START")) {
    if (!c.word("TRANSACTION")) return std::nullopt;
  } else {
    c.word("WORK");
  }
  if (!c.at_end()) return std::nullopt;  // AND CHAIN, RELEASE, TO SAVEPOINT, characteristics
  LocalAnswer answer = detail::answer_with(mysql::OkPacket{});
  answer.transaction = kind;
  return answer;
}

Maybe<LocalAnswer> answer_use(Cursor& c) {
  const Token* t = c.peek();
  if (!t || (t->kind != TokenKind::kWord && t->kind != TokenKind::kQuotedIdentifier)) {
    return std::nullopt;
  }
  std::string db = identifier_value(c.take());
  if (db.empty() || !c.at_end()) return std::nullopt;
  LocalAnswer answer = detail::answer_with(mysql::OkPacket{});
  answer.use_database = std::move(db);
  return answer;
}

}  // namespace

Result<std::optional<LocalAnswer>> answer_session_query(std::string_view sql,
                                                        SessionVariables& vars,
                                                        const SessionInfo& info) {
  auto tokens = significant_tokens(sql, lex_options(vars));
  if (!tokens.empty() && Cursor::is_punct(tokens.back(), ";")) tokens.pop_back();
  for (const auto& t : tokens) {
    if (t.kind == TokenKind::kUnterminated || Cursor::is_punct(t, ";")) return std::nullopt;
  }
  Cursor c(tokens);
  if (c.word("SELECT")) return detail::answer_select(c, sql, vars, info);
  if (c.word("SHOW")) return detail::answer_show(c, vars);
  if (c.word("SET")) return detail::answer_set(c, vars);
  if (c.word("COMMIT")) return answer_transaction(c, LocalAnswer::Transaction::kCommit);
  if (c.word("ROLLBACK")) return answer_transaction(c, LocalAnswer::Transaction::kRollback);
  if (c.word("BEGIN") || c.word("START")) {
    return answer_transaction(c, LocalAnswer::Transaction::kBegin);
  }
  if (c.word("USE")) return answer_use(c);
  return std::nullopt;
}

}  // namespace gp::sql
