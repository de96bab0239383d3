#include "admin/statement.h"

#include <cctype>

#include "fmt/format.h"

namespace gp::admin {

namespace {

bool is_blank(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// White space and any trailing semicolons go; a semicolon inside the text
// stays (SQLite rejects a second statement on its own).
std::string_view strip_statement(std::string_view s) {
  s = trim(s);
  while (!s.empty() && s.back() == ';') s = trim(s.substr(0, s.size() - 1));
  return s;
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_blank(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !is_blank(s[i])) ++i;
    if (i > start) out.push_back(upper(s.substr(start, i - start)));
  }
  return out;
}

// Removes the first word and the blanks after it.
std::string_view after_word(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && !is_blank(s[i])) ++i;
  return trim(s.substr(i));
}

std::unexpected<Error> syntax_error(std::string message) {
  return make_error(errc::kParseError, std::move(message));
}

std::optional<Target> parse_target(const std::string& a, const std::string& b) {
  if (b == "VARIABLES") {
    if (a == "GENAI") return Target::kGenaiVariables;
    if (a == "MYSQL") return Target::kMysqlVariables;
    if (a == "ADMIN") return Target::kAdminVariables;
  }
  if (a == "MYSQL" && b == "USERS") return Target::kMysqlUsers;
  if (a == "MYSQL" && b == "SERVERS") return Target::kMysqlServers;
  return std::nullopt;
}

constexpr std::string_view kTargets =
    "GENAI VARIABLES, MYSQL VARIABLES, ADMIN VARIABLES, MYSQL USERS or MYSQL SERVERS";

Result<AdminStatement> parse_load_save(const std::vector<std::string>& w) {
  const bool load = w[0] == "LOAD";
  auto usage = [&] {
    return syntax_error(fmt::format(
        "{} syntax: {} <{}> {}", w[0], w[0], kTargets,
        load ? "TO RUNTIME|TO RUN|FROM MEMORY|FROM MEM|FROM DISK|TO MEMORY|TO MEM|FROM CONFIG"
             : "FROM RUNTIME|FROM RUN|TO MEMORY|TO MEM|TO DISK|FROM MEMORY|FROM MEM"));
  };
  if (w.size() != 5) return usage();
  auto target = parse_target(w[1], w[2]);
  if (!target) return usage();
  const std::string& dir = w[3];
  const std::string& where = w[4];
  bool mem = where == "MEMORY" || where == "MEM";
  bool run = where == "RUNTIME" || where == "RUN";
  std::optional<Transfer> transfer;
  if (load) {
    if ((dir == "TO" && run) || (dir == "FROM" && mem)) transfer = Transfer::kMemoryToRuntime;
    if ((dir == "FROM" && where == "DISK") || (dir == "TO" && mem)) {
      transfer = Transfer::kDiskToMemory;
    }
    if (dir == "FROM" && where == "CONFIG") transfer = Transfer::kConfigToMemory;
  } else {
    if ((dir == "FROM" && run) || (dir == "TO" && mem)) transfer = Transfer::kRuntimeToMemory;
    if ((dir == "TO" && where == "DISK") || (dir == "FROM" && mem)) {
      transfer = Transfer::kMemoryToDisk;
    }
  }
  if (!transfer) return usage();
  return LoadSave{*target, *transfer};
}

Result<AdminStatement> parse_checksum(const std::vector<std::string>& w) {
  auto usage = [] {
    return syntax_error(
        fmt::format("CHECKSUM syntax: CHECKSUM [DISK|MEMORY|MEM|RUNTIME] <{}>", kTargets));
  };
  Layer layer = Layer::kDisk;
  size_t i = 1;
  if (w.size() == 4) {
    if (w[1] == "DISK") {
      layer = Layer::kDisk;
    } else if (w[1] == "MEMORY" || w[1] == "MEM") {
      layer = Layer::kMemory;
    } else if (w[1] == "RUNTIME" || w[1] == "RUN") {
      layer = Layer::kRuntime;
    } else {
      return usage();
    }
    i = 2;
  } else if (w.size() != 3) {
    return usage();
  }
  auto target = parse_target(w[i], w[i + 1]);
  if (!target) return usage();
  return Checksum{layer, *target};
}

Result<AdminStatement> parse_set(std::string_view text) {
  std::string_view rest = after_word(text);
  // SET GLOBAL x = .. and SET SESSION x = .. name the same variables.
  auto first = words(rest);
  if (!first.empty() && (first[0] == "GLOBAL" || first[0] == "SESSION" || first[0] == "LOCAL")) {
    rest = after_word(rest);
  }
  size_t end = 0;
  while (end < rest.size() && !is_blank(rest[end]) && rest[end] != '=' && rest[end] != ':') ++end;
  std::string name = lower(rest.substr(0, end));
  for (std::string_view prefix : {"@@global.", "@@session.", "@@", "global."}) {
    if (name.starts_with(prefix)) {
      name.erase(0, prefix.size());
      break;
    }
  }
  bool module_variable =
      name.starts_with("genai-") || name.starts_with("mysql-") || name.starts_with("admin-");
  if (!module_variable) return SessionSet{};
  std::string_view value = trim(rest.substr(end));
  if (value.starts_with(":=")) {
    value.remove_prefix(2);
  } else if (value.starts_with("=")) {
    value.remove_prefix(1);
  } else {
    return syntax_error(fmt::format("SET syntax: SET {} = value", name));
  }
  auto unquoted = unquote_value(trim(value));
  if (!unquoted) {
    return syntax_error(fmt::format("SET {}: cannot read the value {}", name, trim(value)));
  }
  return SetVariable{std::move(name), std::move(*unquoted)};
}

// @@name, @@session.name, @@global.name, or one of the functions clients ask
// about on connect.
std::optional<std::string> select_item(std::string_view item) {
  std::string l = lower(item);
  if (l.starts_with("@@")) {
    std::string name = l.substr(2);
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
  std::string compact;
  for (char c : l) {
    if (!is_blank(c)) compact += c;
  }
  if (compact == "database()" || compact == "user()" || compact == "current_user()" ||
      compact == "version()") {
    return compact;
  }
  return std::nullopt;
}

std::optional<SelectVariables> parse_select_variables(std::string_view text) {
  std::string_view rest = after_word(text);
  auto w = words(rest);
  // An optional trailing LIMIT n (the mysql CLI sends `limit 1`).
  if (w.size() >= 2 && w[w.size() - 2] == "LIMIT") {
    size_t pos = upper(rest).rfind("LIMIT");
    rest = trim(rest.substr(0, pos));
  }
  SelectVariables out;
  size_t start = 0;
  while (start <= rest.size()) {
    size_t comma = rest.find(',', start);
    std::string_view item =
        trim(rest.substr(start, comma == std::string_view::npos ? comma : comma - start));
    auto parsed = select_item(item);
    if (!parsed) return std::nullopt;
    out.items.push_back(*parsed);
    out.labels.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (out.items.empty()) return std::nullopt;
  return out;
}

Result<AdminStatement> parse_show(std::string_view text, const std::vector<std::string>& w) {
  size_t i = 1;
  if (i < w.size() && (w[i] == "GLOBAL" || w[i] == "SESSION")) ++i;
  if (i < w.size() && w[i] == "VARIABLES") {
    if (w.size() == i + 1) return ShowVariables{};
    if (w.size() >= i + 2 && w[i + 1] == "LIKE") {
      size_t pos = upper(text).find("LIKE");
      auto pattern = unquote_value(trim(text.substr(pos + 4)));
      if (!pattern) return syntax_error("SHOW VARIABLES LIKE needs a quoted pattern");
      return ShowVariables{std::move(*pattern)};
    }
    return syntax_error("SHOW VARIABLES syntax: SHOW VARIABLES [LIKE 'pattern']");
  }
  if (w.size() >= 2 && w[1] == "TABLES") {
    if (w.size() == 2) return ShowTables{};
    if (w.size() == 4 && (w[2] == "FROM" || w[2] == "IN")) {
      auto words_raw = after_word(after_word(after_word(text)));
      return ShowTables{lower(trim(words_raw))};
    }
    return syntax_error("SHOW TABLES syntax: SHOW TABLES [FROM schema]");
  }
  if (w.size() == 2 && (w[1] == "DATABASES" || w[1] == "SCHEMAS")) return ShowDatabases{};
  if (w.size() == 2 && (w[1] == "WARNINGS" || w[1] == "ERRORS")) return ShowWarnings{};
  if (w.size() == 4 && w[1] == "CREATE" && w[2] == "TABLE") {
    std::string table = lower(after_word(after_word(after_word(text))));
    std::erase(table, '`');
    return ShowCreateTable{std::move(table)};
  }
  return syntax_error(
      "unsupported SHOW statement; the admin interface knows SHOW VARIABLES, SHOW TABLES, "
      "SHOW DATABASES, SHOW CREATE TABLE and SHOW WARNINGS");
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
  }
  return "";
}

std::optional<std::string> unquote_value(std::string_view text) {
  text = trim(text);
  if (text.empty() || (text.front() != '\'' && text.front() != '"')) return std::string(text);
  const char quote = text.front();
  std::string out;
  size_t i = 1;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      char n = text[++i];
      switch (n) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case '0':
          out += '\0';
          break;
        default:
          out += n;
      }
      continue;
    }
    if (c == quote) {
      if (i + 1 < text.size() && text[i + 1] == quote) {
        out += quote;
        ++i;
        continue;
      }
      break;
    }
    out += c;
  }
  if (i >= text.size()) return std::nullopt;  // no closing quote
  if (!trim(text.substr(i + 1)).empty()) return std::nullopt;
  return out;
}

Result<AdminStatement> parse_statement(std::string_view sql) {
  std::string_view text = strip_statement(sql);
  if (text.empty()) return syntax_error("empty statement");
  auto w = words(text);
  const std::string& verb = w[0];
  if (verb == "SET") return parse_set(text);
  if (verb == "LOAD" || verb == "SAVE") return parse_load_save(w);
  if (verb == "CHECKSUM") return parse_checksum(w);
  if (verb == "SHOW") return parse_show(text, w);
  if (verb == "SELECT") {
    if (auto vars = parse_select_variables(text)) return *vars;
  }
  size_t flush_at = verb == "PROXYSQL" ? 1 : 0;
  if (w.size() == flush_at + 3 && w[flush_at] == "FLUSH" && w[flush_at + 1] == "GENAI" &&
      w[flush_at + 2] == "CACHE") {
    return FlushGenaiCache{};
  }
  if (verb == "BEGIN" || verb == "COMMIT" || verb == "ROLLBACK" ||
      (verb == "START" && w.size() == 2 && w[1] == "TRANSACTION")) {
    return TransactionControl{};
  }
  return PlainSql{std::string(text)};
}

}  // namespace gp::admin
