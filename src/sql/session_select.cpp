// SELECT without FROM over system variables and session functions, and
// SHOW VARIABLES.
#include <charconv>

#include "sql/session_query.h"

namespace gp::sql::detail {

namespace {

struct Item {
  enum class Kind { kVariable, kFunction, kString, kNumber, kNull, kBoolean } kind;
  VarRef variable;
  std::string function;  // upper-case name
  std::string literal;
  std::string name;  // the column name
};

constexpr std::string_view kNotAliases[] = {
    "FROM", "LIMIT", "INTO",    "WHERE",     "GROUP",  "HAVING",    "ORDER",  "UNION",
    "FOR",  "LOCK",  "WINDOW",  "PROCEDURE", "EXCEPT", "INTERSECT", "AND",    "OR",
    "XOR",  "NOT",   "IS",      "LIKE",      "IN",     "BETWEEN",   "REGEXP", "RLIKE",
    "DIV",  "MOD",   "COLLATE", "ESCAPE",    "SOUNDS", "MEMBER"};

constexpr std::string_view kFunctions[] = {"VERSION",     "DATABASE",      "SCHEMA",
                                           "USER",        "CURRENT_USER",  "SESSION_USER",
                                           "SYSTEM_USER", "CONNECTION_ID", "LAST_INSERT_ID"};

Maybe<Item> parse_item(Cursor& c, std::string_view sql, LexOptions lex) {
  const Token* first = c.peek();
  if (!first) return std::nullopt;
  Item item{};
  if (first->kind == TokenKind::kSystemVariable) {
    auto ref = parse_variable(c.take());
    if (!ref) return std::nullopt;
    item.kind = Item::Kind::kVariable;
    item.variable = *ref;
  } else if (first->kind == TokenKind::kString) {
    item.kind = Item::Kind::kString;
    item.literal = take_strings(c, lex);
    item.name = string_value(*first, lex);
  } else if (auto number = take_number(c)) {
    // A float's text is the server's formatting of a double: not answered.
    if (number->find_first_of("eE") != std::string::npos) return std::nullopt;
    item.kind = Item::Kind::kNumber;
    item.literal = *number;
  } else if (c.word("NULL")) {
    item.kind = Item::Kind::kNull;
  } else if (is_word(*first, "TRUE") || is_word(*first, "FALSE")) {
    item.kind = Item::Kind::kBoolean;
    item.literal = is_word(c.take(), "TRUE") ? "1" : "0";
  } else if (first->kind == TokenKind::kWord) {
    std::string fn;
    for (auto f : kFunctions) {
      if (is_word(*first, f)) fn = f;
    }
    if (fn.empty()) return std::nullopt;
    c.take();
    if (c.punct("(")) {
      if (!c.punct(")")) return std::nullopt;
    } else if (fn != "CURRENT_USER") {
      return std::nullopt;
    }
    item.kind = Item::Kind::kFunction;
    item.function = fn;
  } else {
    return std::nullopt;
  }
  if (item.kind != Item::Kind::kString) {
    const Token& last = c.previous();
    item.name =
        std::string(sql.substr(first->offset, last.offset + last.text.size() - first->offset));
  }
  // [AS] alias
  const bool as = c.word("AS");
  const Token* alias = c.peek();
  if (alias && (alias->kind == TokenKind::kQuotedIdentifier || alias->kind == TokenKind::kString)) {
    item.name =
        alias->kind == TokenKind::kString ? string_value(*alias, lex) : identifier_value(*alias);
    c.take();
  } else if (alias && alias->kind == TokenKind::kWord) {
    bool reserved = false;
    for (auto w : kNotAliases) reserved = reserved || is_word(*alias, w);
    if (reserved && as) return std::nullopt;
    if (!reserved) item.name = identifier_value(c.take());
  } else if (as) {
    return std::nullopt;
  }
  return item;
}

mysql::Column unsigned_bigint(std::string name) {
  auto column = mysql::Column::bigint(std::move(name));
  column.flags |= mysql::column_flag::kUnsigned;
  return column;
}

mysql::Column number_column(std::string name, std::string& value) {
  std::string_view digits = value;
  const bool negative = digits.starts_with('-');
  if (negative) digits.remove_prefix(1);
  if (digits.find_first_of(".eE") == std::string_view::npos) {
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    size_t zeros = digits.find_first_not_of('0');
    value = (negative ? "-" : "") +
            std::string(zeros == std::string_view::npos ? "0" : digits.substr(zeros));
    if (ec == std::errc() && (!negative ? true : n <= (uint64_t{1} << 63))) {
      return !negative && n > uint64_t{INT64_MAX} ? unsigned_bigint(std::move(name))
                                                  : mysql::Column::bigint(std::move(name));
    }
  }
  mysql::Column column = mysql::Column::bigint(std::move(name));
  column.type = mysql::ColumnType::kNewDecimal;
  size_t dot = value.find('.');
  column.decimals = dot == std::string::npos ? 0 : static_cast<uint8_t>(value.size() - dot - 1);
  if (value.starts_with('.')) value.insert(0, "0");
  if (value.starts_with("-.")) value.insert(1, "0");
  if (value.ends_with('.')) value.pop_back();
  column.length = static_cast<uint32_t>(value.size());
  return column;
}

struct Cell {
  mysql::Column column;
  std::optional<std::string> value;
};

Result<Cell> evaluate_item(const Item& item, const SessionVariables& vars,
                           const SessionInfo& info) {
  switch (item.kind) {
    case Item::Kind::kVariable: {
      auto v = read_variable(vars, item.variable);
      if (!v) return std::unexpected(v.error());
      Value value = as_value(*v);
      if (v->spec->type == VarType::kBoolean)
        return Cell{mysql::Column::bigint(item.name), value.text};
      if (v->spec->type == VarType::kInteger) return Cell{unsigned_bigint(item.name), v->value};
      return Cell{mysql::Column::text(item.name), v->value};
    }
    case Item::Kind::kString:
      return Cell{mysql::Column::text(item.name), item.literal};
    case Item::Kind::kNumber: {
      std::string value = item.literal;
      auto column = number_column(item.name, value);
      return Cell{std::move(column), value};
    }
    case Item::Kind::kBoolean:
      return Cell{mysql::Column::bigint(item.name), item.literal};
    case Item::Kind::kNull: {
      auto column = mysql::Column::text(item.name);
      column.type = mysql::ColumnType::kNull;
      column.charset = mysql::charset::kBinary;
      column.length = 0;
      return Cell{std::move(column), std::nullopt};
    }
    case Item::Kind::kFunction:
      break;
  }
  const std::string& fn = item.function;
  if (fn == "VERSION")
    return Cell{mysql::Column::text(item.name), lookup(vars.global, std::string("version"))};
  if (fn == "DATABASE" || fn == "SCHEMA") {
    std::optional<std::string> db;
    if (!info.database.empty()) db = info.database;
    return Cell{mysql::Column::text(item.name), db};
  }
  if (fn == "CURRENT_USER") {
    // The proxy matches accounts by user name alone: the account is user@%.
    return Cell{mysql::Column::text(item.name), info.user + "@%"};
  }
  if (fn == "USER" || fn == "SESSION_USER" || fn == "SYSTEM_USER") {
    return Cell{mysql::Column::text(item.name), info.user + "@" + info.host};
  }
  if (fn == "CONNECTION_ID") {
    return Cell{unsigned_bigint(item.name), std::to_string(info.connection_id)};
  }
  return Cell{unsigned_bigint(item.name), lookup(vars.values, std::string("last_insert_id"))};
}

bool like(std::string_view s, std::string_view p) {
  auto fold = [](char ch) {
    return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
  };
  size_t si = 0, pi = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size()) {
      if (p[pi] == '%') {
        star = ++pi;
        mark = si;
        continue;
      }
      if (p[pi] == '\\' && pi + 1 < p.size()) {
        if (fold(s[si]) == fold(p[pi + 1])) {
          ++si;
          pi += 2;
          continue;
        }
      } else if (p[pi] == '_' || fold(p[pi]) == fold(s[si])) {
        ++si;
        ++pi;
        continue;
      }
    }
    if (star == std::string_view::npos) return false;
    pi = star;
    si = ++mark;
  }
  while (pi < p.size() && p[pi] == '%') ++pi;
  return pi == p.size();
}

struct NameTest {
  enum class Op { kLike, kEquals } op;
  std::string pattern;
};

// `Variable_name LIKE 'p'`, `= 'x'` or `IN ('a', ...)`, joined by OR.
Maybe<std::vector<NameTest>> parse_where(Cursor& c, LexOptions lex) {
  std::vector<NameTest> tests;
  do {
    const Token* column = c.peek();
    if (!column ||
        (column->kind != TokenKind::kWord && column->kind != TokenKind::kQuotedIdentifier) ||
        !iequals(identifier_value(*column), "variable_name")) {
      return std::nullopt;
    }
    c.take();
    auto string_arg = [&]() -> Maybe<std::string> {
      if (!c.peek() || c.peek()->kind != TokenKind::kString) return std::nullopt;
      return take_strings(c, lex);
    };
    if (c.word("LIKE")) {
      auto p = string_arg();
      if (!p) return std::nullopt;
      tests.push_back({NameTest::Op::kLike, *p});
    } else if (c.punct("=")) {
      auto p = string_arg();
      if (!p) return std::nullopt;
      tests.push_back({NameTest::Op::kEquals, *p});
    } else if (c.word("IN") && c.punct("(")) {
      do {
        auto p = string_arg();
        if (!p) return std::nullopt;
        tests.push_back({NameTest::Op::kEquals, *p});
      } while (c.punct(","));
      if (!c.punct(")")) return std::nullopt;
    } else {
      return std::nullopt;
    }
  } while (c.word("OR"));
  return tests;
}

}  // namespace

Result<Maybe<LocalAnswer>> answer_select(Cursor& c, std::string_view sql,
                                         const SessionVariables& vars, const SessionInfo& info) {
  const LexOptions lex = lex_options(vars);
  std::vector<Item> items;
  do {
    auto item = parse_item(c, sql, lex);
    if (!item) return std::nullopt;
    items.push_back(std::move(*item));
  } while (c.punct(","));
  if (c.word("FROM") && !c.word("DUAL")) return std::nullopt;
  uint64_t limit = 1;
  if (c.word("LIMIT")) {
    if (!c.peek() || c.peek()->kind != TokenKind::kNumber) return std::nullopt;
    auto text = c.take().text;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  }
  if (!c.at_end()) return std::nullopt;

  mysql::ResultSet rs;
  mysql::Row row;
  for (const auto& item : items) {
    auto cell = evaluate_item(item, vars, info);
    if (!cell) return std::unexpected(cell.error());
    rs.columns.push_back(std::move(cell->column));
    row.push_back(std::move(cell->value));
  }
  if (limit > 0) rs.rows.push_back(std::move(row));
  return answer_with(std::move(rs));
}

Result<Maybe<LocalAnswer>> answer_show(Cursor& c, const SessionVariables& vars) {
  const LexOptions lex = lex_options(vars);
  bool global = false;
  if (c.word("GLOBAL")) {
    global = true;
  } else if (!c.word("SESSION")) {
    c.word("LOCAL");
  }
  if (!c.word("VARIABLES")) return std::nullopt;
  std::optional<std::vector<NameTest>> tests;
  if (c.word("LIKE")) {
    if (!c.peek() || c.peek()->kind != TokenKind::kString) return std::nullopt;
    tests = std::vector<NameTest>{{NameTest::Op::kLike, take_strings(c, lex)}};
  } else if (c.word("WHERE")) {
    tests = parse_where(c, lex);
    if (!tests) return std::nullopt;
  }
  if (!c.at_end()) return std::nullopt;

  mysql::ResultSet rs;
  rs.columns = {mysql::Column::text("Variable_name"), mysql::Column::text("Value")};
  const auto& scope = global ? vars.global : vars.values;
  for (const auto& [name, value] : scope) {
    const VariableSpec* spec = detail::find_variable(name);
    if (!spec || (global && spec->scope == detail::Scope::kSession)) continue;
    bool selected = !tests;
    for (const auto& t : tests ? *tests : std::vector<NameTest>{}) {
      selected = selected ||
                 (t.op == NameTest::Op::kLike ? like(name, t.pattern) : iequals(name, t.pattern));
    }
    if (selected) rs.rows.push_back({name, value.value_or("")});
  }
  return answer_with(std::move(rs));
}

}  // namespace gp::sql::detail
