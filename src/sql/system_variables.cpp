#include "sql/system_variables.h"

#include <array>
#include <charconv>
#include <span>

#include "sql/lexer.h"

namespace gp::sql {

namespace detail {

namespace {

constexpr uint64_t kTimeout = 31536000;  // the servers' upper bound for *_timeout

using enum VarType;

// The variables that the connectors' connect-time queries read (Connector/J
// 5.1/8.0 and MariaDB Connector/J 2.x/3.x, SQLAlchemy, PyMySQL, mysqlclient,
// Go, PHP, node, Ruby, DBD) and the session settings ORMs and pools set.
constexpr std::array kVariables = std::to_array<VariableSpec>({
    {"auto_increment_increment", kInteger, Scope::kBoth, Access::kWritable, 1, 65535},
    {"auto_increment_offset", kInteger, Scope::kBoth, Access::kWritable, 1, 65535},
    {"autocommit", kBoolean},
    {"character_set_client", kCharset},
    {"character_set_connection", kCharset},
    {"character_set_database", kCharset},
    {"character_set_filesystem", kCharset},
    {"character_set_results", kCharset, Scope::kBoth, Access::kWritable, 0, 0, {}, true},
    {"character_set_server", kCharset},
    {"character_set_system", kText, Scope::kGlobal, Access::kReadOnly},
    {"collation_connection", kCollation},
    {"collation_database", kCollation},
    {"collation_server", kCollation},
    {"connect_timeout", kInteger, Scope::kGlobal, Access::kSetGlobal, 2, kTimeout},
    {"default_storage_engine", kText},
    {"default_week_format", kInteger, Scope::kBoth, Access::kWritable, 0, 7},
    {"div_precision_increment", kInteger, Scope::kBoth, Access::kWritable, 0, 30},
    {"error_count", kInteger, Scope::kSession, Access::kReadOnly},
    {"explicit_defaults_for_timestamp", kBoolean},
    {"foreign_key_checks", kBoolean},
    {"group_concat_max_len", kInteger, Scope::kBoth, Access::kWritable, 4},
    {"have_openssl", kText, Scope::kGlobal, Access::kReadOnly},
    {"have_query_cache", kText, Scope::kGlobal, Access::kReadOnly},
    {"have_ssl", kText, Scope::kGlobal, Access::kReadOnly},
    {"hostname", kText, Scope::kGlobal, Access::kReadOnly},
    {"init_connect", kText, Scope::kGlobal, Access::kSetGlobal},
    {"innodb_lock_wait_timeout", kInteger, Scope::kBoth, Access::kWritable, 1, 1073741824},
    {"interactive_timeout", kInteger, Scope::kBoth, Access::kWritable, 1, kTimeout},
    {"last_insert_id", kInteger, Scope::kSession},
    {"lc_messages", kText},
    {"lc_time_names", kText},
    {"license", kText, Scope::kGlobal, Access::kReadOnly},
    {"lock_wait_timeout", kInteger, Scope::kBoth, Access::kWritable, 1, kTimeout},
    {"lower_case_table_names", kInteger, Scope::kGlobal, Access::kReadOnly},
    {"max_allowed_packet", kInteger, Scope::kBoth, Access::kSessionReadOnly},
    {"max_connections", kInteger, Scope::kGlobal, Access::kSetGlobal, 1, 100000},
    {"max_execution_time",
     kInteger,
     Scope::kBoth,
     Access::kWritable,
     0,
     4294967295,
     {},
     false,
     Flavor::kMySql},
    {"max_join_size", kInteger, Scope::kBoth, Access::kWritable, 1},
    {"net_buffer_length", kInteger, Scope::kBoth, Access::kSessionReadOnly},
    {"net_read_timeout", kInteger, Scope::kBoth, Access::kWritable, 1, kTimeout},
    {"net_retry_count", kInteger, Scope::kBoth, Access::kWritable, 1},
    {"net_write_timeout", kInteger, Scope::kBoth, Access::kWritable, 1, kTimeout},
    {"performance_schema", kBoolean, Scope::kGlobal, Access::kReadOnly},
    {"port", kInteger, Scope::kGlobal, Access::kReadOnly},
    {"protocol_version", kInteger, Scope::kGlobal, Access::kReadOnly},
    {"query_cache_size", kInteger, Scope::kGlobal, Access::kSetGlobal},
    {"query_cache_type", kEnum, Scope::kBoth, Access::kWritable, 0, 0, "OFF,ON,DEMAND"},
    {"read_only", kBoolean, Scope::kGlobal, Access::kSetGlobal},
    {"session_track_schema", kBoolean},
    {"session_track_state_change", kBoolean},
    {"session_track_system_variables", kText},
    {"session_track_transaction_info", kEnum, Scope::kBoth, Access::kWritable, 0, 0,
     "OFF,STATE,CHARACTERISTICS"},
    {"sql_auto_is_null", kBoolean},
    {"sql_mode", kSqlMode},
    {"sql_notes", kBoolean},
    {"sql_quote_show_create", kBoolean},
    {"sql_safe_updates", kBoolean},
    {"sql_select_limit", kInteger},
    {"sql_warnings", kBoolean},
    {"system_time_zone", kText, Scope::kGlobal, Access::kReadOnly},
    {"time_zone", kTimeZone},
    {"transaction_isolation", kEnum, Scope::kBoth, Access::kWritable, 0, 0,
     "READ-UNCOMMITTED,READ-COMMITTED,REPEATABLE-READ,SERIALIZABLE"},
    {"transaction_read_only", kBoolean},
    {"tx_isolation", kEnum, Scope::kBoth, Access::kWritable, 0, 0,
     "READ-UNCOMMITTED,READ-COMMITTED,REPEATABLE-READ,SERIALIZABLE"},
    {"tx_read_only", kBoolean},
    {"unique_checks", kBoolean},
    {"version", kText, Scope::kGlobal, Access::kReadOnly},
    {"version_comment", kText, Scope::kGlobal, Access::kReadOnly},
    {"version_compile_machine", kText, Scope::kGlobal, Access::kReadOnly},
    {"version_compile_os", kText, Scope::kGlobal, Access::kReadOnly},
    {"wait_timeout", kInteger, Scope::kBoth, Access::kWritable, 1, kTimeout},
    {"warning_count", kInteger, Scope::kSession, Access::kReadOnly},
});

// sql_mode names by bit, as each server prints them; "" is an unused bit.
constexpr std::array<std::string_view, 35> kMariaDbModes = {"REAL_AS_FLOAT",
                                                            "PIPES_AS_CONCAT",
                                                            "ANSI_QUOTES",
                                                            "IGNORE_SPACE",
                                                            "IGNORE_BAD_TABLE_OPTIONS",
                                                            "ONLY_FULL_GROUP_BY",
                                                            "NO_UNSIGNED_SUBTRACTION",
                                                            "NO_DIR_IN_CREATE",
                                                            "POSTGRESQL",
                                                            "ORACLE",
                                                            "MSSQL",
                                                            "DB2",
                                                            "MAXDB",
                                                            "NO_KEY_OPTIONS",
                                                            "NO_TABLE_OPTIONS",
                                                            "NO_FIELD_OPTIONS",
                                                            "MYSQL323",
                                                            "MYSQL40",
                                                            "ANSI",
                                                            "NO_AUTO_VALUE_ON_ZERO",
                                                            "NO_BACKSLASH_ESCAPES",
                                                            "STRICT_TRANS_TABLES",
                                                            "STRICT_ALL_TABLES",
                                                            "NO_ZERO_IN_DATE",
                                                            "NO_ZERO_DATE",
                                                            "ALLOW_INVALID_DATES",
                                                            "ERROR_FOR_DIVISION_BY_ZERO",
                                                            "TRADITIONAL",
                                                            "NO_AUTO_CREATE_USER",
                                                            "HIGH_NOT_PRECEDENCE",
                                                            "NO_ENGINE_SUBSTITUTION",
                                                            "PAD_CHAR_TO_FULL_LENGTH",
                                                            "EMPTY_STRING_IS_NULL",
                                                            "SIMULTANEOUS_ASSIGNMENT",
                                                            "TIME_ROUND_FRACTIONAL"};

// MySQL's names are MariaDB's, but for the bits MySQL does not have (IGNORE_BAD_TABLE_OPTIONS,
// POSTGRESQL to MYSQL40, NO_AUTO_CREATE_USER) and bit 32, its TIME_TRUNCATE_FRACTIONAL.
constexpr uint64_t kMySqlUnusedBits =
    (uint64_t{1} << 4) | (uint64_t{0x3ff} << 8) | (uint64_t{1} << 28);
constexpr std::string_view kMySqlBit32 = "TIME_TRUNCATE_FRACTIONAL";

bool mysql_has_bit(size_t bit) {
  return bit < 32 && !((kMySqlUnusedBits >> bit) & 1);
}

std::string mode_name(bool mariadb, size_t bit) {
  if (mariadb) return bit < kMariaDbModes.size() ? std::string(kMariaDbModes[bit]) : "";
  if (bit == 32) return std::string(kMySqlBit32);
  return mysql_has_bit(bit) ? std::string(kMariaDbModes[bit]) : "";
}

std::optional<size_t> mode_bit(bool mariadb, std::string_view name) {
  for (size_t bit = 0; bit < 35; ++bit) {
    std::string n = mode_name(mariadb, bit);
    if (!n.empty() && iequals(n, name)) return bit;
  }
  return std::nullopt;
}

uint64_t bits_of(bool mariadb, std::initializer_list<std::string_view> names) {
  uint64_t bits = 0;
  for (auto n : names) bits |= uint64_t{1} << *mode_bit(mariadb, n);
  return bits;
}

// The combined modes add the modes they stand for, as each server expands
// them (MariaDB's and MySQL's expand_sql_mode).
uint64_t expand_modes(uint64_t bits, bool mariadb) {
  auto has = [&](std::string_view n) { return (bits >> *mode_bit(mariadb, n)) & 1; };
  uint64_t out = bits;
  if (has("ANSI")) {
    out |= mariadb
               ? bits_of(true, {"REAL_AS_FLOAT", "PIPES_AS_CONCAT", "ANSI_QUOTES", "IGNORE_SPACE"})
               : bits_of(false, {"REAL_AS_FLOAT", "PIPES_AS_CONCAT", "ANSI_QUOTES", "IGNORE_SPACE",
                                 "ONLY_FULL_GROUP_BY"});
  }
  if (has("TRADITIONAL")) {
    out |=
        bits_of(mariadb, {"STRICT_TRANS_TABLES", "STRICT_ALL_TABLES", "NO_ZERO_IN_DATE",
                          "NO_ZERO_DATE", "ERROR_FOR_DIVISION_BY_ZERO", "NO_ENGINE_SUBSTITUTION"});
    if (mariadb) out |= bits_of(true, {"NO_AUTO_CREATE_USER"});
  }
  if (!mariadb) return out;
  const uint64_t portable =
      bits_of(true, {"PIPES_AS_CONCAT", "ANSI_QUOTES", "IGNORE_SPACE", "NO_KEY_OPTIONS",
                     "NO_TABLE_OPTIONS", "NO_FIELD_OPTIONS"});
  if (has("POSTGRESQL") || has("MSSQL") || has("DB2")) out |= portable;
  if (has("MAXDB")) out |= portable | bits_of(true, {"NO_AUTO_CREATE_USER"});
  if (has("ORACLE")) {
    out |= portable | bits_of(true, {"NO_AUTO_CREATE_USER", "SIMULTANEOUS_ASSIGNMENT"});
  }
  if (has("MYSQL323") || has("MYSQL40")) out |= bits_of(true, {"HIGH_NOT_PRECEDENCE"});
  return out;
}

Error wrong_value(std::string_view name, std::string_view shown) {
  return Error::make(errc::kWrongValueForVar, "Variable '" + std::string(name) +
                                                  "' can't be set to the value of '" +
                                                  std::string(shown) + "'");
}

Error wrong_type(std::string_view name) {
  return Error::make(errc::kWrongTypeForVar,
                     "Incorrect argument type to variable '" + std::string(name) + "'");
}

// An integer literal: optional sign, digits only.
std::optional<std::pair<bool, std::string_view>> integer_text(std::string_view t) {
  bool negative = false;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
    negative = t[0] == '-';
    t.remove_prefix(1);
  }
  if (t.empty()) return std::nullopt;
  for (char c : t) {
    if (!is_digit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return std::pair{negative, t};
}

Result<std::string> sql_mode_value(const Value& x, bool mariadb) {
  uint64_t bits = 0;
  const size_t bit_count = mariadb ? kMariaDbModes.size() : 33;
  if (x.kind == Value::Kind::kNumber) {
    auto n = integer_text(x.text);
    if (!n || n->first) return std::unexpected(wrong_value("sql_mode", x.text));
    auto [p, ec] = std::from_chars(n->second.data(), n->second.data() + n->second.size(), bits);
    if (ec != std::errc()) return std::unexpected(wrong_value("sql_mode", x.text));
    for (size_t bit = 0; bit < 64; ++bit) {
      if (((bits >> bit) & 1) && (bit >= bit_count || mode_name(mariadb, bit).empty())) {
        return std::unexpected(wrong_value("sql_mode", x.text));
      }
    }
  } else {
    std::string_view rest = x.text;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view name = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (name.empty()) continue;
      auto bit = mode_bit(mariadb, name);
      if (!bit) return std::unexpected(wrong_value("sql_mode", name));
      bits |= uint64_t{1} << *bit;
    }
  }
  bits = expand_modes(bits, mariadb);
  std::string out;
  for (size_t bit = 0; bit < bit_count; ++bit) {
    if ((bits >> bit) & 1) {
      if (!out.empty()) out += ',';
      out += mode_name(mariadb, bit);
    }
  }
  return out;
}

Result<std::optional<std::string>> integer_value(const VariableSpec& v, const Value& x,
                                                 uint16_t& warnings) {
  if (x.kind != Value::Kind::kNumber) return std::unexpected(wrong_type(v.name));
  auto n = integer_text(x.text);
  if (!n) return std::unexpected(wrong_type(v.name));
  uint64_t value = 0;
  auto [p, ec] = std::from_chars(n->second.data(), n->second.data() + n->second.size(), value);
  if (n->first) {
    value = v.min;
    ++warnings;
  } else if (ec != std::errc() || value > v.max) {
    value = v.max;
    ++warnings;
  } else if (value < v.min) {
    value = v.min;
    ++warnings;
  }
  return std::to_string(value);
}

Result<std::optional<std::string>> boolean_value(const VariableSpec& v, const Value& x) {
  if (x.kind == Value::Kind::kNumber) {
    auto n = integer_text(x.text);
    if (!n) return std::unexpected(wrong_type(v.name));
    if (!n->first && n->second == "0") return std::string("OFF");
    if (!n->first && n->second == "1") return std::string("ON");
    return std::unexpected(wrong_value(v.name, x.text));
  }
  std::string u = upper(x.text);
  if (u == "ON" || u == "TRUE") return std::string("ON");
  if (u == "OFF" || u == "FALSE") return std::string("OFF");
  return std::unexpected(wrong_value(v.name, x.text));
}

Result<std::optional<std::string>> enum_value(const VariableSpec& v, const Value& x) {
  std::vector<std::string_view> choices;
  for (std::string_view rest = v.choices; !rest.empty();) {
    size_t comma = rest.find(',');
    choices.push_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  if (x.kind == Value::Kind::kNumber) {
    auto n = integer_text(x.text);
    if (!n) return std::unexpected(wrong_type(v.name));
    size_t index = 0;
    auto [p, ec] = std::from_chars(n->second.data(), n->second.data() + n->second.size(), index);
    if (n->first || ec != std::errc() || index >= choices.size()) {
      return std::unexpected(wrong_value(v.name, x.text));
    }
    return std::string(choices[index]);
  }
  for (auto c : choices) {
    if (iequals(c, x.text)) return std::string(c);
  }
  return std::unexpected(wrong_value(v.name, x.text));
}

std::string charset_alias(std::string cs) {
  return cs == "utf8" ? "utf8mb3" : cs;
}

}  // namespace

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string lower(std::string_view s) {
  return ascii_lower(s);
}

const VariableSpec* find_variable(std::string_view name) {
  for (const auto& v : kVariables) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

bool is_mariadb(const SessionVariables& vars) {
  auto it = vars.global.find("version");
  if (it == vars.global.end() || !it->second) return false;
  return lower(*it->second).find("mariadb") != std::string::npos;
}

std::string default_collation(std::string_view charset, bool mariadb) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kExceptions = {{
      {"binary", "binary"},
      {"latin1", "latin1_swedish_ci"},
      {"big5", "big5_chinese_ci"},
      {"dec8", "dec8_swedish_ci"},
      {"hp8", "hp8_english_ci"},
      {"sjis", "sjis_japanese_ci"},
      {"ujis", "ujis_japanese_ci"},
      {"euckr", "euckr_korean_ci"},
      {"gb2312", "gb2312_chinese_ci"},
      {"gbk", "gbk_chinese_ci"},
      {"gb18030", "gb18030_chinese_ci"},
      {"cp932", "cp932_japanese_ci"},
      {"eucjpms", "eucjpms_japanese_ci"},
      {"tis620", "tis620_thai_ci"},
      {"latin5", "latin5_turkish_ci"},
      {"swe7", "swe7_swedish_ci"},
      {"koi8r", "koi8r_general_ci"},
      {"ascii", "ascii_general_ci"},
      {"greek", "greek_general_ci"},
      {"hebrew", "hebrew_general_ci"},
      {"cp1250", "cp1250_general_ci"},
      {"filename", "filename"},
  }};
  if (charset == "utf8mb4" && !mariadb) return "utf8mb4_0900_ai_ci";
  for (auto [cs, coll] : kExceptions) {
    if (cs == charset) return std::string(coll);
  }
  return std::string(charset) + "_general_ci";
}

bool collation_of(std::string_view collation, std::string_view charset) {
  if (charset == "binary" || charset == "filename") return collation == charset;
  return collation.size() > charset.size() && collation.starts_with(charset) &&
         collation[charset.size()] == '_';
}

Result<std::optional<std::string>> assigned_value(const VariableSpec& v, const Value& x,
                                                  bool mariadb, uint16_t& warnings) {
  if (x.kind == Value::Kind::kNull) {
    if (v.nullable) return std::optional<std::string>();
    return std::unexpected(wrong_value(v.name, "NULL"));
  }
  switch (v.type) {
    case kInteger:
      return integer_value(v, x, warnings);
    case kBoolean:
      return boolean_value(v, x);
    case kEnum:
      return enum_value(v, x);
    case kText:
      return x.text;
    case kTimeZone:
      if (x.kind == Value::Kind::kNumber) return std::unexpected(wrong_type(v.name));
      return iequals(x.text, "SYSTEM") ? std::string("SYSTEM") : x.text;
    case kSqlMode: {
      auto mode = sql_mode_value(x, mariadb);
      if (!mode) return std::unexpected(mode.error());
      return *mode;
    }
    case kCharset: {
      std::string cs = charset_alias(lower(x.text));
      if (!is_charset_name(cs) || cs == "filename") {
        return std::unexpected(
            Error::make(errc::kUnknownCharacterSet, "Unknown character set: '" + x.text + "'"));
      }
      // A client cannot send text in a character set whose units are wider
      // than one byte for ASCII.
      if (v.name == "character_set_client" &&
          (cs == "ucs2" || cs == "utf16" || cs == "utf16le" || cs == "utf32")) {
        return std::unexpected(wrong_value(v.name, cs));
      }
      return cs;
    }
    case kCollation: {
      std::string coll = lower(x.text);
      if (coll.starts_with("utf8_")) coll = "utf8mb3_" + coll.substr(5);
      std::string cs = coll.substr(0, coll.find('_'));
      if (!is_charset_name(cs) || !collation_of(coll, cs)) {
        return std::unexpected(
            Error::make(errc::kUnknownCollation, "Unknown collation: '" + x.text + "'"));
      }
      return coll;
    }
  }
  return x.text;
}

std::vector<std::pair<std::string, std::optional<std::string>>> companions(
    std::string_view name, const std::optional<std::string>& value, bool mariadb) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kSynonyms = {{
      {"tx_isolation", "transaction_isolation"},
      {"tx_read_only", "transaction_read_only"},
  }};
  std::vector<std::pair<std::string, std::optional<std::string>>> out;
  for (auto [a, b] : kSynonyms) {
    if (name == a) out.emplace_back(std::string(b), value);
    if (name == b) out.emplace_back(std::string(a), value);
  }
  for (std::string_view part : {"connection", "database", "server"}) {
    std::string cs = "character_set_" + std::string(part);
    std::string coll = "collation_" + std::string(part);
    if (name == cs && value) out.emplace_back(coll, default_collation(*value, mariadb));
    if (name == coll && value) {
      std::string c = *value == "binary" ? "binary" : value->substr(0, value->find('_'));
      out.emplace_back(cs, c);
    }
  }
  return out;
}

}  // namespace detail

SessionVariables SessionVariables::defaults(const SessionDefaults& d) {
  using detail::Flavor;
  const bool mariadb = detail::lower(d.version).find("mariadb") != std::string::npos;
  const std::string bool_ssl = d.have_ssl ? "YES" : "DISABLED";
  const std::string cs = d.character_set;
  const std::map<std::string_view, std::string> values = {
    {"auto_increment_increment", "1"},
    {"auto_increment_offset", "1"},
    {"autocommit", d.autocommit ? "ON" : "OFF"},
    {"character_set_client", cs},
    {"character_set_connection", cs},
    {"character_set_database", cs},
    {"character_set_filesystem", "binary"},
    {"character_set_results", cs},
    {"character_set_server", cs},
    {"character_set_system", "utf8mb3"},
    {"collation_connection", d.collation},
    {"collation_database", d.collation},
    {"collation_server", d.collation},
    {"connect_timeout", "10"},
    {"default_storage_engine", "InnoDB"},
    {"default_week_format", "0"},
    {"div_precision_increment", "4"},
    {"error_count", "0"},
    {"explicit_defaults_for_timestamp", mariadb ? "OFF" : "ON"},
    {"foreign_key_checks", "ON"},
    {"group_concat_max_len", mariadb ? "1048576" : "1024"},
    {"have_openssl", bool_ssl},
    {"have_query_cache", "YES"},
    {"have_ssl", bool_ssl},
    {"hostname", d.hostname},
    {"init_connect", ""},
    {"innodb_lock_wait_timeout", "50"},
    {"interactive_timeout", "28800"},
    {"last_insert_id", "0"},
    {"lc_messages", "en_US"},
    {"lc_time_names", "en_US"},
    {"license", "GPL"},
    {"lock_wait_timeout", mariadb ? "86400" : "31536000"},
    {"lower_case_table_names", "0"},
    {"max_allowed_packet", std::to_string(d.max_allowed_packet)},
    {"max_connections", "151"},
    {"max_execution_time", "0"},
    {"max_join_size", "18446744073709551615"},
    {"net_buffer_length", "16384"},
    {"net_read_timeout", "30"},
    {"net_retry_count", "10"},
    {"net_write_timeout", "60"},
    {"performance_schema", mariadb ? "OFF" : "ON"},
    {"port", std::to_string(d.port)},
    {"protocol_version", "10"},
    {"query_cache_size", "1048576"},
    {"query_cache_type", "OFF"},
    {"read_only", "OFF"},
    {"session_track_schema", "ON"},
    {"session_track_state_change", "OFF"},
    {"session_track_system_variables",
     mariadb ? "autocommit,character_set_client,character_set_connection,"
               "character_set_results,time_zone"
             : "time_zone,autocommit,character_set_client,character_set_results,"
               "character_set_connection"},
    {"session_track_transaction_info", "OFF"},
    {"sql_auto_is_null", "OFF"},
    {"sql_mode", mariadb ? "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,"
                           "NO_ENGINE_SUBSTITUTION"
                         : "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,"
                           "NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"},
    {"sql_notes", "ON"},
    {"sql_quote_show_create", "ON"},
    {"sql_safe_updates", "OFF"},
    {"sql_select_limit", "18446744073709551615"},
    {"sql_warnings", "OFF"},
    {"system_time_zone", d.system_time_zone},
    {"time_zone", "SYSTEM"},
    {"transaction_isolation", "REPEATABLE-READ"},
    {"transaction_read_only", "OFF"},
    {"tx_isolation", "REPEATABLE-READ"},
    {"tx_read_only", "OFF"},
    {"unique_checks", "ON"},
    {"version", d.version},
    {"version_comment", d.version_comment},
#if defined(__x86_64__)
    {"version_compile_machine", "x86_64"},
#elif defined(__aarch64__)
    {"version_compile_machine", "aarch64"},
#else
    {"version_compile_machine", "unknown"},
#endif
    {"version_compile_os", "Linux"},
    {"wait_timeout", "28800"},
    {"warning_count", "0"},
  };
  SessionVariables vars;
  for (const auto& v : detail::kVariables) {
    if (v.flavor == (mariadb ? Flavor::kMySql : Flavor::kMariaDb)) continue;
    auto it = values.find(v.name);
    std::optional<std::string> value;
    if (it != values.end()) value = it->second;
    vars.global.emplace(std::string(v.name), value);
    vars.values.emplace(std::string(v.name), value);
  }
  return vars;
}

LexOptions lex_options(const SessionVariables& vars) {
  LexOptions o;
  auto it = vars.values.find("sql_mode");
  if (it == vars.values.end() || !it->second) return o;
  std::string_view rest = *it->second;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (name == "ANSI_QUOTES") o.ansi_quotes = true;
    if (name == "NO_BACKSLASH_ESCAPES") o.no_backslash_escapes = true;
  }
  return o;
}

}  // namespace gp::sql
