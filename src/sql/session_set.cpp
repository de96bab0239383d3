// SET of session variables, SET NAMES / CHARACTER SET and SET TRANSACTION.
#include <charconv>

#include "sql/session_query.h"

namespace gp::sql::detail {

namespace {

struct Expr {
  enum class Kind { kLiteral, kDefault, kVariable, kConcat } kind = Kind::kLiteral;
  Value literal;
  VarRef variable;
  std::vector<Expr> args;
};

Maybe<Expr> parse_expr(Cursor& c, LexOptions lex, bool top) {
  const Token* t = c.peek();
  if (!t) return std::nullopt;
  Expr e;
  if (t->kind == TokenKind::kString) {
    e.literal = {Value::Kind::kString, take_strings(c, lex)};
  } else if (auto number = take_number(c)) {
    e.literal = {Value::Kind::kNumber, *number};
  } else if (t->kind == TokenKind::kSystemVariable) {
    auto ref = parse_variable(c.take());
    if (!ref) return std::nullopt;
    e.kind = Expr::Kind::kVariable;
    e.variable = *ref;
  } else if (c.word("NULL")) {
    e.literal = {};
  } else if (top && c.word("DEFAULT")) {
    e.kind = Expr::Kind::kDefault;
  } else if (is_word(*t, "TRUE") || is_word(*t, "FALSE")) {
    e.literal = {Value::Kind::kNumber, is_word(c.take(), "TRUE") ? "1" : "0"};
  } else if (is_word(*t, "CONCAT") && c.peek(1) && Cursor::is_punct(*c.peek(1), "(")) {
    c.take();
    c.take();
    e.kind = Expr::Kind::kConcat;
    do {
      auto arg = parse_expr(c, lex, false);
      if (!arg) return std::nullopt;
      e.args.push_back(std::move(*arg));
    } while (c.punct(","));
    if (!c.punct(")")) return std::nullopt;
  } else if (t->kind == TokenKind::kWord || t->kind == TokenKind::kQuotedIdentifier) {
    // A bare name is the text of the name (SET sql_mode = TRADITIONAL), unless
    // it is a function or a column of a table.
    if (c.peek(1) && (Cursor::is_punct(*c.peek(1), "(") || Cursor::is_punct(*c.peek(1), "."))) {
      return std::nullopt;
    }
    e.literal = {Value::Kind::kString, identifier_value(c.take())};
  } else {
    return std::nullopt;
  }
  return e;
}

Result<Value> evaluate(const Expr& e, const SessionVariables& vars) {
  switch (e.kind) {
    case Expr::Kind::kLiteral:
    case Expr::Kind::kDefault:
      return e.literal;
    case Expr::Kind::kVariable: {
      auto v = read_variable(vars, e.variable);
      if (!v) return std::unexpected(v.error());
      return as_value(*v);
    }
    case Expr::Kind::kConcat: {
      Value out{Value::Kind::kString, {}};
      bool null = false;
      for (const auto& arg : e.args) {
        auto v = evaluate(arg, vars);
        if (!v) return v;
        null = null || v->kind == Value::Kind::kNull;
        out.text += v->text;
      }
      return null ? Value{} : out;
    }
  }
  return Value{};
}

// One assignment to one variable; SET NAMES and SET CHARACTER SET become
// several of these.
struct Assignment {
  std::string name;  // as written
  Expr expr;
};

Maybe<std::string> charset_name(Cursor& c, LexOptions lex) {
  const Token* t = c.peek();
  if (!t) return std::nullopt;
  if (t->kind == TokenKind::kString) return take_strings(c, lex);
  if (t->kind == TokenKind::kWord || t->kind == TokenKind::kQuotedIdentifier) {
    return identifier_value(c.take());
  }
  return std::nullopt;
}

// A character set name, or DEFAULT: the global character_set_client.
Maybe<std::string> charset_or_default(Cursor& c, const SessionVariables& vars, LexOptions lex) {
  if (c.word("DEFAULT")) {
    return lookup(vars.global, std::string("character_set_client")).value_or("utf8mb4");
  }
  return charset_name(c, lex);
}

Expr literal(std::string text) {
  return Expr{Expr::Kind::kLiteral, {Value::Kind::kString, std::move(text)}, {}, {}};
}

Expr variable(std::string name) {
  Expr e;
  e.kind = Expr::Kind::kVariable;
  e.variable.name = std::move(name);
  return e;
}

Error mismatch(std::string_view collation, std::string_view charset) {
  return Error::make(errc::kCollationMismatch, "COLLATION '" + std::string(collation) +
                                                   "' is not valid for CHARACTER SET '" +
                                                   std::string(charset) + "'");
}

// SET NAMES cs [COLLATE coll] | SET NAMES DEFAULT.
Result<Maybe<std::vector<Assignment>>> parse_names(Cursor& c, const SessionVariables& vars,
                                                   LexOptions lex) {
  const bool mariadb = detail::is_mariadb(vars);
  auto named = charset_or_default(c, vars, lex);
  if (!named) return std::nullopt;
  std::string cs = *named;
  std::optional<std::string> coll;
  if (c.word("COLLATE")) {
    coll = charset_name(c, lex);
    if (!coll) return std::nullopt;
  }
  // Validate as the server does before anything changes.
  uint16_t ignored = 0;
  auto checked = detail::assigned_value(*detail::find_variable("character_set_client"),
                                        Value{Value::Kind::kString, cs}, mariadb, ignored);
  if (!checked) return std::unexpected(checked.error());
  cs = **checked;
  std::string collation = detail::default_collation(cs, mariadb);
  if (coll) {
    auto c2 = detail::assigned_value(*detail::find_variable("collation_connection"),
                                     Value{Value::Kind::kString, *coll}, mariadb, ignored);
    if (!c2) return std::unexpected(c2.error());
    if (!detail::collation_of(**c2, cs)) return std::unexpected(mismatch(*coll, cs));
    collation = **c2;
  }
  return std::vector<Assignment>{{"character_set_client", literal(cs)},
                                 {"character_set_results", literal(cs)},
                                 {"character_set_connection", literal(cs)},
                                 {"collation_connection", literal(collation)}};
}

// SET CHARACTER SET cs | SET CHARSET cs: the client's and results' character
// set, with the connection's set back to the database's.
Maybe<std::vector<Assignment>> parse_charset(Cursor& c, const SessionVariables& vars,
                                             LexOptions lex) {
  auto named = charset_or_default(c, vars, lex);
  if (!named) return std::nullopt;
  std::string cs = *named;
  return std::vector<Assignment>{{"character_set_client", literal(cs)},
                                 {"character_set_results", literal(cs)},
                                 {"character_set_connection", variable("character_set_database")},
                                 {"collation_connection", variable("collation_database")}};
}

// SET [SESSION|LOCAL] TRANSACTION characteristic, ...
Maybe<std::vector<Assignment>> parse_transaction(Cursor& c, bool session) {
  std::vector<Assignment> out;
  do {
    if (c.word("ISOLATION")) {
      if (!c.word("LEVEL")) return std::nullopt;
      std::string level;
      if (c.word("READ")) {
        if (c.word("UNCOMMITTED")) {
          level = "READ-UNCOMMITTED";
        } else if (c.word("COMMITTED")) {
          level = "READ-COMMITTED";
        } else {
          return std::nullopt;
        }
      } else if (c.word("REPEATABLE") && c.word("READ")) {
        level = "REPEATABLE-READ";
      } else if (c.word("SERIALIZABLE")) {
        level = "SERIALIZABLE";
      } else {
        return std::nullopt;
      }
      out.push_back({"transaction_isolation", literal(level)});
    } else if (c.word("READ")) {
      if (c.word("ONLY")) {
        out.push_back({"transaction_read_only", literal("ON")});
      } else if (c.word("WRITE")) {
        out.push_back({"transaction_read_only", literal("OFF")});
      } else {
        return std::nullopt;
      }
    } else {
      return std::nullopt;
    }
  } while (c.punct(","));
  if (!c.at_end()) return std::nullopt;
  // Without SESSION the characteristics are for the next transaction only,
  // and the session's values stay.
  if (!session) out.clear();
  return out;
}

Error access_error(const VariableSpec& v) {
  const std::string name(v.name);
  switch (v.access) {
    case detail::Access::kReadOnly:
      return scope_error(v, "read only");
    case detail::Access::kSetGlobal:
      return Error::make(
          errc::kGlobalVariable,
          "Variable '" + name + "' is a GLOBAL variable and should be set with SET GLOBAL");
    case detail::Access::kSessionReadOnly:
      return Error::make(
          errc::kVariableIsReadonly,
          "SESSION variable '" + name + "' is read-only. Use SET GLOBAL to assign the value");
    case detail::Access::kWritable:
      break;
  }
  return Error{};
}

}  // namespace

Result<Maybe<LocalAnswer>> answer_set(Cursor& c, SessionVariables& vars) {
  const LexOptions lex = lex_options(vars);
  std::vector<Assignment> assignments;
  {
    bool session = c.word("SESSION") || c.word("LOCAL");
    if (c.word("GLOBAL") || c.word("PERSIST") || c.word("PERSIST_ONLY")) return std::nullopt;
    if (c.word("TRANSACTION")) {
      auto tx = parse_transaction(c, session);
      if (!tx) return std::nullopt;
      assignments = std::move(*tx);
    } else {
      bool first = true;
      do {
        if (!first) {
          session = c.word("SESSION") || c.word("LOCAL");
          if (c.word("GLOBAL") || c.word("PERSIST") || c.word("PERSIST_ONLY")) return std::nullopt;
        }
        first = false;
        const Token* t = c.peek();
        if (!t) return std::nullopt;
        if (!session && c.word("NAMES")) {
          auto names = parse_names(c, vars, lex);
          if (!names) return std::unexpected(names.error());
          if (!*names) return std::nullopt;
          for (auto& a : **names) assignments.push_back(std::move(a));
          continue;
        }
        bool charset = !session && c.word("CHARSET");
        if (!session && !charset && is_word(*t, "CHARACTER") && c.peek(1) &&
            is_word(*c.peek(1), "SET")) {
          c.take();
          c.take();
          charset = true;
        }
        if (charset) {
          auto cs = parse_charset(c, vars, lex);
          if (!cs) return std::nullopt;
          for (auto& a : *cs) assignments.push_back(std::move(a));
          continue;
        }
        std::string name;
        if (t->kind == TokenKind::kSystemVariable) {
          if (session) return std::nullopt;
          auto ref = parse_variable(c.take());
          if (!ref || ref->scope == VarRef::Scope::kGlobal) return std::nullopt;
          name = ref->name;
        } else if (t->kind == TokenKind::kWord || t->kind == TokenKind::kQuotedIdentifier) {
          name = identifier_value(c.take());
        } else {
          return std::nullopt;  // user variables, and anything else
        }
        if (!c.punct("=") && !c.punct(":=")) return std::nullopt;
        auto expr = parse_expr(c, lex, true);
        if (!expr) return std::nullopt;
        assignments.push_back({std::move(name), std::move(*expr)});
      } while (c.punct(","));
      if (!c.at_end()) return std::nullopt;
    }
  }

  // The server evaluates every value on the session as it was, checks every
  // assignment, then applies them all.
  const bool mariadb = detail::is_mariadb(vars);
  auto next = vars.values;
  uint16_t warnings = 0;
  for (const auto& a : assignments) {
    std::string key = lower(a.name);
    const VariableSpec* spec = known(vars, key);
    if (!spec) return std::unexpected(unknown_variable(a.name));
    if (spec->access != detail::Access::kWritable) return std::unexpected(access_error(*spec));
    std::optional<std::string> stored;
    if (a.expr.kind == Expr::Kind::kDefault) {
      stored = lookup(vars.global, key);
    } else {
      auto value = evaluate(a.expr, vars);
      if (!value) return std::unexpected(value.error());
      auto assigned = detail::assigned_value(*spec, *value, mariadb, warnings);
      if (!assigned) return std::unexpected(assigned.error());
      stored = std::move(*assigned);
    }
    for (auto& [other, value] : detail::companions(key, stored, mariadb)) {
      if (next.contains(other)) next[other] = std::move(value);
    }
    next[key] = std::move(stored);
  }
  LocalAnswer answer = answer_with(mysql::OkPacket{});
  answer.autocommit_changed =
      lookup(next, std::string("autocommit")) != lookup(vars.values, std::string("autocommit"));
  std::get<mysql::OkPacket>(answer.result).warnings = warnings;
  vars.values = std::move(next);
  return answer;
}

}  // namespace gp::sql::detail
