#include "backend/session_state.h"

#include <algorithm>
#include <array>

#include "sql/sql.h"

namespace gp::backend {

namespace {

using sql::Token;
using sql::TokenKind;

// ProxySQL's tracked variables and the other session variables drivers and
// ORMs set; each is a plain session value that `= DEFAULT` restores.
constexpr std::string_view kTracked[] = {
    "autocommit",
    "big_tables",
    "character_set_client",
    "character_set_connection",
    "character_set_results",
    "collation_connection",
    "default_storage_engine",
    "default_tmp_storage_engine",
    "div_precision_increment",
    "foreign_key_checks",
    "group_concat_max_len",
    "innodb_lock_wait_timeout",
    "innodb_strict_mode",
    "interactive_timeout",
    "join_buffer_size",
    "lc_messages",
    "lc_time_names",
    "lock_wait_timeout",
    "long_query_time",
    "max_execution_time",
    "max_heap_table_size",
    "max_join_size",
    "max_sort_length",
    "max_statement_time",
    "net_read_timeout",
    "net_write_timeout",
    "optimizer_prune_level",
    "optimizer_search_depth",
    "optimizer_switch",
    "optimizer_use_condition_selectivity",
    "query_cache_type",
    "session_track_gtids",
    "session_track_schema",
    "session_track_state_change",
    "session_track_system_variables",
    "session_track_transaction_info",
    "sort_buffer_size",
    "sql_auto_is_null",
    "sql_big_selects",
    "sql_buffer_result",
    "sql_log_bin",
    "sql_mode",
    "sql_notes",
    "sql_quote_show_create",
    "sql_require_primary_key",
    "sql_safe_updates",
    "sql_select_limit",
    "sql_warnings",
    "time_zone",
    "tmp_table_size",
    "transaction_isolation",
    "transaction_read_only",
    "tx_isolation",
    "tx_read_only",
    "unique_checks",
    "wait_timeout",
    "wsrep_sync_wait",
    "updatable_views_with_limit",
};

constexpr std::array<std::string_view, 5> kCharsetKeys = {
    "names", "character_set_client", "character_set_connection", "character_set_results",
    "collation_connection"};

bool is_charset_key(std::string_view key) {
  return std::find(kCharsetKeys.begin(), kCharsetKeys.end(), key) != kCharsetKeys.end();
}

bool tracked(std::string_view name) {
  return std::find(std::begin(kTracked), std::end(kTracked), name) != std::end(kTracked);
}

bool is_punct(const Token& t, std::string_view p) {
  return t.kind == TokenKind::kPunct && t.text == p;
}

std::string text_of(std::span<const Token> tokens) {
  std::string out;
  for (const auto& t : tokens) {
    if (!out.empty()) out.push_back(' ');
    out.append(t.text);
  }
  return out;
}

// A value that is its own text: a number, a string, a word (ON, NULL, an
// identifier such as SYSTEM) or a negative number.
bool is_literal(std::span<const Token> v) {
  if (v.size() == 1) {
    return v[0].kind == TokenKind::kNumber || v[0].kind == TokenKind::kString ||
           v[0].kind == TokenKind::kWord;
  }
  return v.size() == 2 && is_punct(v[0], "-") && v[1].kind == TokenKind::kNumber;
}

std::optional<std::vector<TrackedAssignment>> transaction(std::span<const Token> t, bool mariadb) {
  std::vector<TrackedAssignment> out;
  std::string isolation = mariadb ? "tx_isolation" : "transaction_isolation";
  std::string read_only = mariadb ? "tx_read_only" : "transaction_read_only";
  size_t i = 0;
  while (i < t.size()) {
    if (sql::is_word(t[i], "isolation") && i + 2 < t.size() && sql::is_word(t[i + 1], "level")) {
      std::string level;
      size_t k = i + 2;
      if (k + 1 < t.size() && sql::is_word(t[k], "read") && sql::is_word(t[k + 1], "committed")) {
        level = "READ-COMMITTED";
        k += 2;
      } else if (k + 1 < t.size() && sql::is_word(t[k], "read") &&
                 sql::is_word(t[k + 1], "uncommitted")) {
        level = "READ-UNCOMMITTED";
        k += 2;
      } else if (k + 1 < t.size() && sql::is_word(t[k], "repeatable") &&
                 sql::is_word(t[k + 1], "read")) {
        level = "REPEATABLE-READ";
        k += 2;
      } else if (sql::is_word(t[k], "serializable")) {
        level = "SERIALIZABLE";
        k += 1;
      } else {
        return std::nullopt;
      }
      out.push_back({isolation, isolation + " = '" + level + "'", {}, false});
      i = k;
    } else if (i + 1 < t.size() && sql::is_word(t[i], "read") &&
               (sql::is_word(t[i + 1], "only") || sql::is_word(t[i + 1], "write"))) {
      out.push_back(
          {read_only, read_only + (sql::is_word(t[i + 1], "only") ? " = 1" : " = 0"), {}, false});
      i += 2;
    } else {
      return std::nullopt;
    }
    if (i < t.size()) {
      if (!is_punct(t[i], ",")) return std::nullopt;
      ++i;
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// A value as it replays under any sql_mode: strings single-quoted.
std::string value_text(std::span<const Token> v, sql::LexOptions options) {
  if (v.size() == 1 && v[0].kind == TokenKind::kString) {
    return sql::quote_string(sql::string_value(v[0], options));
  }
  return text_of(v);
}

std::optional<TrackedAssignment> assignment(std::span<const Token> t, sql::LexOptions options) {
  if (t.empty()) return std::nullopt;
  if (sql::is_word(t[0], "names")) {
    bool ok = t.size() == 2 || (t.size() == 4 && sql::is_word(t[2], "collate"));
    if (!ok || sql::is_word(t[1], "default")) return std::nullopt;
    return TrackedAssignment{"names", "NAMES " + text_of(t.subspan(1)), {}, false};
  }
  size_t at = 0;
  if (sql::is_word(t[0], "character") && t.size() == 3 && sql::is_word(t[1], "set")) at = 2;
  if (sql::is_word(t[0], "charset") && t.size() == 2) at = 1;
  if (at > 0) {
    if (sql::is_word(t[at], "default")) return std::nullopt;
    return TrackedAssignment{"names", "CHARACTER SET " + std::string(t[at].text), {}, false};
  }
  std::string name;
  size_t i = 0;
  if (sql::is_word(t[0], "session") || sql::is_word(t[0], "local")) i = 1;
  if (i >= t.size()) return std::nullopt;
  if (t[i].kind == TokenKind::kSystemVariable) {
    std::string v = sql::ascii_lower(t[i].text.substr(2));
    if (v.starts_with("session.")) v.erase(0, 8);
    if (v.starts_with("local.")) v.erase(0, 6);
    if (i == 1 || v.find('.') != std::string::npos || v.find('`') != std::string::npos) {
      return std::nullopt;
    }
    name = v;
  } else if (t[i].kind == TokenKind::kWord) {
    name = sql::ascii_lower(t[i].text);
  } else {
    return std::nullopt;
  }
  if (!tracked(name)) return std::nullopt;
  ++i;
  if (i >= t.size() || !(is_punct(t[i], "=") || is_punct(t[i], ":="))) return std::nullopt;
  auto value = t.subspan(i + 1);
  if (value.empty()) return std::nullopt;
  if (value.size() == 1 && sql::is_word(value[0], "default"))
    return TrackedAssignment{name, {}, {}, true};
  if (is_literal(value)) {
    return TrackedAssignment{name, name + " = " + value_text(value, options), {}, false};
  }
  return TrackedAssignment{name, {}, name, false};
}

}  // namespace

std::optional<std::vector<TrackedAssignment>> parse_tracked_set(std::string_view sql, bool mariadb,
                                                                sql::LexOptions options) {
  auto tokens = sql::significant_tokens(sql, options);
  while (!tokens.empty() && is_punct(tokens.back(), ";")) tokens.pop_back();
  if (tokens.size() < 2 || !sql::is_word(tokens[0], "set")) return std::nullopt;
  for (const auto& t : tokens) {
    // A backslash reads differently under NO_BACKSLASH_ESCAPES: such a value
    // is not replayed.
    if (t.kind == TokenKind::kUnterminated || t.kind == TokenKind::kUserVariable ||
        is_punct(t, ";") ||
        (t.kind == TokenKind::kString && t.text.find('\\') != std::string_view::npos)) {
      return std::nullopt;
    }
  }
  std::span<const Token> rest(tokens.begin() + 1, tokens.end());
  if ((sql::is_word(rest[0], "session") || sql::is_word(rest[0], "local")) && rest.size() > 1 &&
      sql::is_word(rest[1], "transaction")) {
    return transaction(rest.subspan(2), mariadb);
  }
  std::vector<TrackedAssignment> out;
  size_t start = 0;
  int depth = 0;
  for (size_t i = 0; i <= rest.size(); ++i) {
    if (i < rest.size()) {
      if (is_punct(rest[i], "(")) ++depth;
      if (is_punct(rest[i], ")")) --depth;
      if (depth != 0 || !is_punct(rest[i], ",")) continue;
    }
    auto a = assignment(rest.subspan(start, i - start), options);
    if (!a) return std::nullopt;
    out.push_back(std::move(*a));
    start = i + 1;
  }
  return out;
}

void record(TrackedState& state, const TrackedAssignment& a) {
  if (a.key == "names") {
    // NAMES sets the character set variables it covers.
    std::erase_if(state, [](const TrackedSetting& s) { return is_charset_key(s.key); });
  } else {
    std::erase_if(state, [&](const TrackedSetting& s) { return s.key == a.key; });
  }
  if (!a.reset) state.push_back({a.key, a.assignment});
}

std::string apply_statement(const TrackedState& have, const TrackedState& want,
                            std::string_view names_default, bool end_read_view) {
  auto find = [](const TrackedState& s, std::string_view key) -> const TrackedSetting* {
    for (const auto& t : s) {
      if (t.key == key) return &t;
    }
    return nullptr;
  };
  std::vector<std::string> parts;
  const auto* want_autocommit = find(want, "autocommit");
  const auto* have_autocommit = find(have, "autocommit");
  if (end_read_view && want_autocommit && have_autocommit && *want_autocommit == *have_autocommit) {
    parts.emplace_back("autocommit = 1");
    parts.push_back(want_autocommit->assignment);
  }
  bool charset_differs = false;
  for (auto key : kCharsetKeys) {
    const auto* h = find(have, key);
    const auto* w = find(want, key);
    if ((h == nullptr) != (w == nullptr) || (h && *h != *w)) charset_differs = true;
  }
  for (const auto& h : have) {
    if (is_charset_key(h.key) || find(want, h.key)) continue;
    parts.push_back(h.key + " = DEFAULT");
  }
  if (charset_differs) {
    // The character set variables are set as a group, NAMES first: NAMES
    // would undo a variable set before it.
    if (!find(want, "names")) parts.emplace_back(names_default);
    for (const auto& w : want) {
      if (is_charset_key(w.key)) parts.push_back(w.assignment);
    }
  }
  for (const auto& w : want) {
    if (is_charset_key(w.key)) continue;
    const auto* h = find(have, w.key);
    if (!h || *h != w) parts.push_back(w.assignment);
  }
  if (parts.empty()) return {};
  std::string out = "SET ";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += ", ";
    out += parts[i];
  }
  return out;
}

std::optional<std::string> handshake_names(uint8_t id) {
  switch (id) {
    case 8:
      return "NAMES 'latin1' COLLATE 'latin1_swedish_ci'";
    case 33:
      return "NAMES 'utf8' COLLATE 'utf8_general_ci'";
    case 45:
      return "NAMES 'utf8mb4' COLLATE 'utf8mb4_general_ci'";
    case 46:
      return "NAMES 'utf8mb4' COLLATE 'utf8mb4_bin'";
    case 63:
      return "NAMES 'binary'";
    case 83:
      return "NAMES 'utf8' COLLATE 'utf8_bin'";
    case 192:
      return "NAMES 'utf8' COLLATE 'utf8_unicode_ci'";
    case 224:
      return "NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'";
    case 255:
      return "NAMES 'utf8mb4' COLLATE 'utf8mb4_0900_ai_ci'";
    default:
      return std::nullopt;
  }
}

std::span<const std::string_view> tracked_variables() {
  return kTracked;
}

}  // namespace gp::backend
