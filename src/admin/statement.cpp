#include "admin/statement.h"

#include <cctype>
#include <initializer_list>

#include "fmt/format.h"
#include "sql/sql.h"

namespace gp::admin {

namespace {

using sql::Token;
using sql::TokenKind;
using Tokens = std::vector<Token>;

std::unexpected<Error> syntax_error(std::string message) {
  return make_error(errc::kParseError, std::move(message));
}

bool is_punct(const Token& t, std::string_view text) {
  return t.kind == TokenKind::kPunct && t.text == text;
}

size_t end_of(const Token& t) {
  return t.offset + t.text.size();
}

// The text from `first` to the end of `last`, as written.
std::string_view span(std::string_view sql, const Token& first, const Token& last) {
  return sql.substr(first.offset, end_of(last) - first.offset);
}

// The significant tokens of one statement, without the semicolons that end
// it; a semicolon inside stays (SQLite rejects a second statement on its own).
Tokens statement_tokens(std::string_view sql) {
  Tokens tokens = sql::significant_tokens(sql);
  while (!tokens.empty() && is_punct(tokens.back(), ";")) tokens.pop_back();
  return tokens;
}

// `sql` without the white space, comments and semicolons around it: SQLite
// reads no `#` comment, and gets the statement on its own.
std::string_view plain_text(std::string_view sql) {
  auto tokens = sql::tokenize(sql);
  auto is_code = [](const Token& t) {
    return t.kind != TokenKind::kWhitespace && t.kind != TokenKind::kComment && !is_punct(t, ";");
  };
  size_t first = 0;
  while (first < tokens.size() && !is_code(tokens[first])) ++first;
  size_t last = tokens.size();
  while (last > first && !is_code(tokens[last - 1])) --last;
  if (last == first) return {};
  return span(sql, tokens[first], tokens[last - 1]);
}

// Whether tokens[from, from + words.size()) are exactly these keywords.
bool words_at(const Tokens& t, size_t from, std::initializer_list<std::string_view> words) {
  if (t.size() < from + words.size()) return false;
  for (auto w : words) {
    if (!sql::is_word(t[from++], w)) return false;
  }
  return true;
}

// Reads a value as SET accepts it from the tokens [begin, end): one string
// literal, or bare text as written. nullopt for a quote that never closes or
// anything after a string.
std::optional<std::string> read_value(std::string_view sql, const Token* begin, const Token* end) {
  if (begin == end) return std::string();
  for (const Token* t = begin; t != end; ++t) {
    if (t->kind == TokenKind::kUnterminated) return std::nullopt;
  }
  if (begin->kind == TokenKind::kString) {
    if (end - begin != 1) return std::nullopt;
    return sql::string_value(*begin);
  }
  return std::string(span(sql, *begin, *(end - 1)));
}

std::optional<Target> parse_target(const Tokens& t, size_t i) {
  if (words_at(t, i, {"GENAI", "VARIABLES"})) return Target::kGenaiVariables;
  if (words_at(t, i, {"MYSQL", "VARIABLES"})) return Target::kMysqlVariables;
  if (words_at(t, i, {"ADMIN", "VARIABLES"})) return Target::kAdminVariables;
  if (words_at(t, i, {"MYSQL", "USERS"})) return Target::kMysqlUsers;
  if (words_at(t, i, {"MYSQL", "SERVERS"})) return Target::kMysqlServers;
  if (words_at(t, i, {"GENAI", "MODELS"})) return Target::kGenaiModels;
  if (words_at(t, i, {"GENAI", "JOBS"})) return Target::kGenaiJobs;
  return std::nullopt;
}

constexpr std::string_view kTargets =
    "GENAI VARIABLES, MYSQL VARIABLES, ADMIN VARIABLES, MYSQL USERS, MYSQL SERVERS, GENAI "
    "MODELS or GENAI JOBS";

Result<AdminStatement> parse_load_save(const Tokens& t) {
  const bool load = sql::is_word(t[0], "LOAD");
  const std::string_view verb = load ? "LOAD" : "SAVE";
  auto usage = [&] {
    return syntax_error(fmt::format(
        "{} syntax: {} <{}> {}", verb, verb, kTargets,
        load ? "TO RUNTIME|TO RUN|FROM MEMORY|FROM MEM|FROM DISK|TO MEMORY|TO MEM|FROM CONFIG"
             : "FROM RUNTIME|FROM RUN|TO MEMORY|TO MEM|TO DISK|FROM MEMORY|FROM MEM"));
  };
  // ProxySQL's modules that genaiproxy does not have: say so rather than
  // "syntax error".
  for (auto module : {std::initializer_list<std::string_view>{"MYSQL", "QUERY", "RULES"},
                      {"SCHEDULER"},
                      {"PROXYSQL", "SERVERS"},
                      {"MYSQL", "FIREWALL"},
                      {"RESTAPI"},
                      {"DEBUG"},
                      {"LDAP", "VARIABLES"},
                      {"PGSQL"}}) {
    if (words_at(t, 1, module)) {
      std::vector<std::string_view> words(module);
      return make_error(errc::kNotSupported,
                        fmt::format("{} {} is not supported by genaiproxy: it has no {} (see "
                                    "docs/ADMIN.md, \"What of ProxySQL's admin is not supported\")",
                                    verb, fmt::join(words, " "), fmt::join(words, " ")));
    }
  }
  if (t.size() != 5) return usage();
  auto target = parse_target(t, 1);
  if (!target) return usage();
  const bool to = sql::is_word(t[3], "TO");
  const bool from = sql::is_word(t[3], "FROM");
  const Token& where = t[4];
  const bool mem = sql::is_word(where, "MEMORY") || sql::is_word(where, "MEM");
  const bool run = sql::is_word(where, "RUNTIME") || sql::is_word(where, "RUN");
  const bool disk = sql::is_word(where, "DISK");
  std::optional<Transfer> transfer;
  if (load) {
    if ((to && run) || (from && mem)) transfer = Transfer::kMemoryToRuntime;
    if ((from && disk) || (to && mem)) transfer = Transfer::kDiskToMemory;
    if (from && sql::is_word(where, "CONFIG")) transfer = Transfer::kConfigToMemory;
  } else {
    if ((from && run) || (to && mem)) transfer = Transfer::kRuntimeToMemory;
    if ((to && disk) || (from && mem)) transfer = Transfer::kMemoryToDisk;
  }
  if (!transfer) return usage();
  return LoadSave{*target, *transfer};
}

Result<AdminStatement> parse_checksum(const Tokens& t) {
  auto usage = [] {
    return syntax_error(
        fmt::format("CHECKSUM syntax: CHECKSUM [DISK|MEMORY|MEM|RUNTIME] <{}>", kTargets));
  };
  Layer layer = Layer::kDisk;
  size_t i = 1;
  if (t.size() == 4) {
    if (sql::is_word(t[1], "DISK")) {
      layer = Layer::kDisk;
    } else if (sql::is_word(t[1], "MEMORY") || sql::is_word(t[1], "MEM")) {
      layer = Layer::kMemory;
    } else if (sql::is_word(t[1], "RUNTIME") || sql::is_word(t[1], "RUN")) {
      layer = Layer::kRuntime;
    } else {
      return usage();
    }
    i = 2;
  } else if (t.size() != 3) {
    return usage();
  }
  auto target = parse_target(t, i);
  if (!target) return usage();
  return Checksum{layer, *target};
}

// A module variable's name is written without spaces but holds `-`, which
// the tokenizer reads as an operator: the name is the run of tokens that
// touch each other, up to `=` or `:=`.
size_t name_end(const Tokens& t, size_t i) {
  size_t j = i;
  while (j < t.size() && !is_punct(t[j], "=") && !is_punct(t[j], ":=") &&
         (j == i || t[j].offset == end_of(t[j - 1]))) {
    ++j;
  }
  return j;
}

Result<AdminStatement> parse_set(std::string_view sql, const Tokens& t) {
  size_t i = 1;
  // SET GLOBAL x = .. and SET SESSION x = .. name the same variables.
  if (i < t.size() && (sql::is_word(t[i], "GLOBAL") || sql::is_word(t[i], "SESSION") ||
                       sql::is_word(t[i], "LOCAL"))) {
    ++i;
  }
  size_t j = name_end(t, i);
  std::string name = j > i ? sql::ascii_lower(span(sql, t[i], t[j - 1])) : std::string();
  for (std::string_view prefix : {"@@global.", "@@session.", "@@", "global."}) {
    if (name.starts_with(prefix)) {
      name.erase(0, prefix.size());
      break;
    }
  }
  bool module_variable =
      name.starts_with("genai-") || name.starts_with("mysql-") || name.starts_with("admin-");
  if (!module_variable) return SessionSet{};
  if (j == t.size() || !(is_punct(t[j], "=") || is_punct(t[j], ":="))) {
    return syntax_error(fmt::format("SET syntax: SET {} = value", name));
  }
  const Token* begin = t.data() + j + 1;
  const Token* end = t.data() + t.size();
  auto value = read_value(sql, begin, end);
  if (!value) {
    return syntax_error(
        fmt::format("SET {}: cannot read the value {}", name, span(sql, *begin, *(end - 1))));
  }
  return SetVariable{std::move(name), std::move(*value)};
}

// @@name, @@session.name, @@global.name (names may hold `-`, written without
// spaces), or one of the functions clients ask about on connect.
std::optional<std::string> select_item(std::string_view sql, const Token* begin, const Token* end) {
  if (begin == end) return std::nullopt;
  if (begin->kind == TokenKind::kSystemVariable) {
    for (const Token* t = begin + 1; t != end; ++t) {
      bool name_part = t->kind == TokenKind::kWord || t->kind == TokenKind::kNumber ||
                       (t->kind == TokenKind::kPunct && t->text == "-");
      if (!name_part || t->offset != end_of(*(t - 1))) return std::nullopt;
    }
    std::string name = sql::ascii_lower(span(sql, *begin, *(end - 1)).substr(2));
    for (std::string_view prefix : {"session.", "global.", "local."}) {
      if (name.starts_with(prefix)) {
        name.erase(0, prefix.size());
        break;
      }
    }
    if (name.empty()) return std::nullopt;
    for (char c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return std::nullopt;
    }
    return "@@" + name;
  }
  if (end - begin != 3 || begin->kind != TokenKind::kWord || !is_punct(begin[1], "(") ||
      !is_punct(begin[2], ")")) {
    return std::nullopt;
  }
  for (std::string_view function : {"database", "user", "current_user", "version"}) {
    if (sql::is_word(*begin, function)) return std::string(function) + "()";
  }
  return std::nullopt;
}

std::optional<SelectVariables> parse_select_variables(std::string_view sql, const Tokens& t) {
  size_t end = t.size();
  // An optional trailing LIMIT n (the mysql CLI sends `limit 1`).
  if (end >= 3 && sql::is_word(t[end - 2], "LIMIT") && t[end - 1].kind == TokenKind::kNumber) {
    end -= 2;
  }
  SelectVariables out;
  size_t start = 1;
  for (size_t i = 1; i <= end; ++i) {
    if (i < end && !is_punct(t[i], ",")) continue;
    auto item = select_item(sql, t.data() + start, t.data() + i);
    if (!item) return std::nullopt;
    out.items.push_back(std::move(*item));
    out.labels.emplace_back(span(sql, t[start], t[i - 1]));
    start = i + 1;
  }
  if (out.items.empty()) return std::nullopt;
  return out;
}

// A name as SHOW reads it: a word or a quoted identifier, lower case.
std::optional<std::string> name_at(const Token& t) {
  if (t.kind != TokenKind::kWord && t.kind != TokenKind::kQuotedIdentifier) return std::nullopt;
  return sql::ascii_lower(sql::identifier_value(t));
}

Result<AdminStatement> parse_show(std::string_view sql, const Tokens& t) {
  size_t i = 1;
  if (i < t.size() && (sql::is_word(t[i], "GLOBAL") || sql::is_word(t[i], "SESSION"))) ++i;
  if (words_at(t, i, {"VARIABLES"})) {
    if (t.size() == i + 1) return ShowVariables{};
    if (words_at(t, i + 1, {"LIKE"})) {
      auto pattern = read_value(sql, t.data() + i + 2, t.data() + t.size());
      if (!pattern) return syntax_error("SHOW VARIABLES LIKE needs a quoted pattern");
      return ShowVariables{std::move(*pattern)};
    }
    return syntax_error("SHOW VARIABLES syntax: SHOW VARIABLES [LIKE 'pattern']");
  }
  if (words_at(t, 1, {"TABLES"}) || words_at(t, 1, {"TABLE", "STATUS"})) {
    const bool status = sql::is_word(t[1], "TABLE");
    size_t k = status ? 3 : 2;
    std::optional<std::string> schema;
    std::optional<std::string> like;
    bool ok = true;
    if (k < t.size() && (sql::is_word(t[k], "FROM") || sql::is_word(t[k], "IN"))) {
      if (k + 1 < t.size()) schema = name_at(t[k + 1]);
      ok = schema.has_value();
      k += 2;
    }
    if (ok && k < t.size() && sql::is_word(t[k], "LIKE")) {
      if (k + 1 < t.size()) like = read_value(sql, t.data() + k + 1, t.data() + t.size());
      ok = like.has_value();
      k = t.size();
    }
    if (ok && k == t.size()) {
      if (status) return ShowTableStatus{std::move(schema), std::move(like)};
      return ShowTables{std::move(schema), std::move(like)};
    }
    return syntax_error(fmt::format("SHOW {0} syntax: SHOW {0} [FROM schema] [LIKE 'pattern']",
                                    status ? "TABLE STATUS" : "TABLES"));
  }
  if (t.size() >= 4 && (sql::is_word(t[1], "FIELDS") || sql::is_word(t[1], "COLUMNS")) &&
      (sql::is_word(t[2], "FROM") || sql::is_word(t[2], "IN"))) {
    std::optional<std::string> table;
    if (t.size() == 4) {
      table = name_at(t[3]);
    } else if (t.size() == 6 && is_punct(t[4], ".")) {
      auto schema = name_at(t[3]);
      auto name = name_at(t[5]);
      if (schema && name) table = *schema + "." + *name;
    }
    if (table) return ShowFields{std::move(*table)};
    return syntax_error("SHOW FIELDS syntax: SHOW FIELDS FROM [schema.]table");
  }
  if (words_at(t, 1, {"PROCESSLIST"}) && t.size() == 2) return ShowProcesslist{false};
  if (words_at(t, 1, {"FULL", "PROCESSLIST"}) && t.size() == 3) return ShowProcesslist{true};
  if (words_at(t, 1, {"MYSQL", "STATUS"}) && t.size() == 3) return ShowMysqlStatus{};
  if (t.size() == 2 && (sql::is_word(t[1], "DATABASES") || sql::is_word(t[1], "SCHEMAS"))) {
    return ShowDatabases{};
  }
  if (t.size() == 2 && (sql::is_word(t[1], "WARNINGS") || sql::is_word(t[1], "ERRORS"))) {
    return ShowWarnings{};
  }
  if (words_at(t, 1, {"CREATE", "TABLE"})) {
    std::optional<std::string> table;
    if (t.size() == 4) {
      table = name_at(t[3]);
    } else if (t.size() == 6 && is_punct(t[4], ".")) {
      auto schema = name_at(t[3]);
      auto name = name_at(t[5]);
      if (schema && name) table = *schema + "." + *name;
    }
    if (table) return ShowCreateTable{std::move(*table)};
  }
  return syntax_error(
      "unsupported SHOW statement; the admin interface knows SHOW VARIABLES, SHOW TABLES, "
      "SHOW TABLE STATUS, SHOW FIELDS, SHOW DATABASES, SHOW CREATE TABLE, SHOW [FULL] "
      "PROCESSLIST, SHOW MYSQL STATUS and SHOW WARNINGS");
}

}  // namespace

std::string_view target_name(Target target) {
  switch (target) {
    case Target::kGenaiVariables:
      return "GENAI VARIABLES";
    case Target::kMysqlVariables:
      return "MYSQL VARIABLES";
    case Target::kAdminVariables:
      return "ADMIN VARIABLES";
    case Target::kMysqlUsers:
      return "MYSQL USERS";
    case Target::kMysqlServers:
      return "MYSQL SERVERS";
    case Target::kGenaiModels:
      return "GENAI MODELS";
    case Target::kGenaiJobs:
      return "GENAI JOBS";
  }
  return "";
}

std::optional<std::string> unquote_value(std::string_view text) {
  Tokens tokens = sql::significant_tokens(text);
  return read_value(text, tokens.data(), tokens.data() + tokens.size());
}

Result<AdminStatement> parse_statement(std::string_view sql) {
  Tokens t = statement_tokens(sql);
  if (t.empty()) return syntax_error("empty statement");
  const Token& verb = t[0];
  if (sql::is_word(verb, "SET")) return parse_set(sql, t);
  if (t.size() >= 5 && words_at(t, 0, {"SAVE", "CONFIG", "TO", "FILE"})) {
    auto path = read_value(sql, t.data() + 4, t.data() + t.size());
    if (!path || path->empty())
      return syntax_error("SAVE CONFIG TO FILE syntax: SAVE CONFIG TO FILE path");
    return SaveConfigToFile{std::move(*path)};
  }
  if (sql::is_word(verb, "LOAD") || sql::is_word(verb, "SAVE")) return parse_load_save(t);
  if (sql::is_word(verb, "TRUNCATE")) {
    size_t i = t.size() > 1 && sql::is_word(t[1], "TABLE") ? 2 : 1;
    std::optional<std::string> table;
    if (t.size() == i + 1) {
      table = name_at(t[i]);
    } else if (t.size() == i + 3 && is_punct(t[i + 1], ".")) {
      auto schema = name_at(t[i]);
      if (schema && *schema == "stats") table = name_at(t[i + 2]);
    }
    if (table && table->starts_with("stats_")) return TruncateStats{std::move(*table)};
  }
  if (words_at(t, 0, {"PROXYSQL", "FLUSH", "LOGS"}) && t.size() == 3) return FlushLogs{};
  if (words_at(t, 0, {"PROXYSQL", "PAUSE"}) && t.size() == 2) return PauseListeners{true};
  if (words_at(t, 0, {"PROXYSQL", "RESUME"}) && t.size() == 2) return PauseListeners{false};
  if (sql::is_word(verb, "CHECKSUM")) return parse_checksum(t);
  if (sql::is_word(verb, "SHOW")) return parse_show(sql, t);
  if (sql::is_word(verb, "SELECT")) {
    if (auto vars = parse_select_variables(sql, t)) return *vars;
  }
  size_t flush_at = sql::is_word(verb, "PROXYSQL") ? 1 : 0;
  if (t.size() == flush_at + 3 && words_at(t, flush_at, {"FLUSH", "GENAI", "CACHE"})) {
    return FlushGenaiCache{};
  }
  if (t.size() == 3 && words_at(t, 0, {"PROXYSQL", "RELOAD", "TLS"})) return ReloadTls{};
  if (sql::is_word(verb, "BEGIN") || sql::is_word(verb, "COMMIT") ||
      sql::is_word(verb, "ROLLBACK") ||
      (t.size() == 2 && words_at(t, 0, {"START", "TRANSACTION"}))) {
    return TransactionControl{};
  }
  return PlainSql{std::string(plain_text(sql))};
}

}  // namespace gp::admin
