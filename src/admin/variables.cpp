#include "admin/variables.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "fmt/format.h"

#ifndef GP_VERSION
#define GP_VERSION "0.0.0"
#endif

namespace gp::admin {

namespace {

VariableSpec int_var(std::string name, VarModule m, int64_t def, int64_t min, int64_t max,
                     std::string help) {
  return VariableSpec{std::move(name), m,     VarType::kInt,  std::to_string(def), min, max, {},
                      false,           false, std::move(help)};
}

VariableSpec typed_var(std::string name, VarModule m, VarType type, std::string def,
                       std::string help, bool required = false) {
  return VariableSpec{std::move(name), m,     type,           std::move(def), 0, 0, {},
                      required,        false, std::move(help)};
}

std::vector<VariableSpec> build_registry() {
  using enum VarModule;
  std::vector<VariableSpec> v = {
      // GENAI
      typed_var("genai-enabled", kGenai, VarType::kBool, "true",
                "false answers every GENAI statement with 9106 (module disabled)"),
      typed_var("genai-sql_functions", kGenai, VarType::kBool, "true",
                "false stops recognising GENAI_EMBED, GENAI_EMBED_BINARY and GENAI_RERANK in SQL"),
      int_var("genai-threads", kGenai, 4, 1, 256, "HTTP engine threads"),
      typed_var("genai-embedding_uri", kGenai, VarType::kUri, "http://127.0.0.1:8013/embedding",
                "embedding service endpoint, or lexical: for the built-in provider"),
      typed_var("genai-rerank_uri", kGenai, VarType::kUri, "http://127.0.0.1:8012/rerank",
                "rerank service endpoint, or lexical: for the built-in provider"),
      int_var("genai-embedding_timeout_ms", kGenai, 30000, 100, 300000,
              "embedding request timeout"),
      int_var("genai-rerank_timeout_ms", kGenai, 30000, 100, 300000, "rerank request timeout"),
      typed_var("genai-embedding_model", kGenai, VarType::kString, "",
                "sent as \"model\" to the embedding service when set"),
      typed_var("genai-rerank_model", kGenai, VarType::kString, "",
                "sent as \"model\" to the rerank service when set"),
      typed_var("genai-embedding_api_key", kGenai, VarType::kSecret, "",
                "bearer token for the embedding service: a literal or env:NAME"),
      typed_var("genai-rerank_api_key", kGenai, VarType::kSecret, "",
                "bearer token for the rerank service: a literal or env:NAME"),
      int_var("genai-max_documents", kGenai, 10000, 1, 1000000, "documents per statement"),
      int_var("genai-lexical_dimensions", kGenai, 384, 8, 4096,
              "vector dimension of the built-in lexical provider"),
      int_var("genai-max_queue", kGenai, 10000, 1, 1000000,
              "requests admitted at once; beyond this the module answers overloaded"),
      int_var("genai-endpoint_concurrency", kGenai, 64, 1, 10000,
              "HTTP requests in flight per service endpoint"),
      int_var("genai-cache_max_bytes", kGenai, 268435456, 0, 1099511627776,
              "bytes of embeddings the cache may hold (LRU beyond)"),
      int_var("genai-cache_ttl_s", kGenai, 0, 0, 31536000,
              "seconds an embedding stays cached; 0 turns the cache off"),
      int_var("genai-batch_window_us", kGenai, 0, 0, 1000000,
              "microseconds an embed statement may wait to share an upstream request that "
              "others are sending; 0 turns micro-batching off"),
      int_var("genai-batch_max_documents", kGenai, 64, 1, 100000,
              "documents per shared upstream request; larger statements go alone"),
      int_var("genai-batch_size", kGenai, 0, 0, 100000,
              "documents per upstream request; 0 sends one request per statement"),
      // MYSQL
      int_var("mysql-threads", kMysql, 4, 1, 256, "network threads of the client interface"),
      typed_var("mysql-interfaces", kMysql, VarType::kAddressList, "0.0.0.0:6033",
                "client listeners, host:port separated by ;"),
      typed_var("mysql-server_version", kMysql, VarType::kString, "auto",
                "server version announced to clients; auto = the backends' own (8.0.36 until "
                "one is known)",
                true),
      int_var("mysql-max_connections", kMysql, 10000, 1, 1000000, "client connections"),
      int_var("mysql-connect_timeout_server", kMysql, 3000, 10, 120000,
              "backend connect timeout in milliseconds"),
      int_var("mysql-connect_timeout_client", kMysql, 10000, 100, 3600000,
              "milliseconds a client has to complete its login"),
      int_var("mysql-default_query_timeout", kMysql, 36000000, 1000, 1728000000,
              "backend query timeout in milliseconds"),
      int_var("mysql-shun_recovery_time_sec", kMysql, 10, 0, 31536000,
              "seconds before a shunned server is tried again"),
      int_var("mysql-connection_max_age_ms", kMysql, 0, 0, 86400000,
              "idle backend connections older than this are closed; 0 = no limit"),
      int_var("mysql-free_connections_pct", kMysql, 10, 0, 100,
              "idle backend connections kept, in percent of max_connections"),
      int_var("mysql-max_allowed_packet", kMysql, 67108864, 8192, 1073741824,
              "largest packet accepted from clients"),
      typed_var("mysql-have_ssl", kMysql, VarType::kBool, "false", "offer TLS to clients"),
      // ADMIN
      typed_var("admin-admin_credentials", kAdmin, VarType::kCredentials, "admin:admin",
                "admin users, user:password separated by ;"),
      typed_var("admin-mysql_ifaces", kAdmin, VarType::kAddressList, "127.0.0.1:6032",
                "admin listeners, host:port separated by ;"),
      typed_var("admin-restapi_enabled", kAdmin, VarType::kBool, "false",
                "serve metrics and health over HTTP"),
      int_var("admin-restapi_port", kAdmin, 6070, 1, 65535, "port of the metrics endpoint"),
  };
  VariableSpec version = typed_var("admin-version", kAdmin, VarType::kString, GP_VERSION,
                                   "version of genaiproxy (read-only)");
  version.read_only = true;
  v.push_back(std::move(version));
  std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return v;
}

const std::vector<VariableSpec>& registry() {
  static const std::vector<VariableSpec> specs = build_registry();
  return specs;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lower(a) == lower(b);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

bool is_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

bool has_blank_or_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

// host[:port] where host is a name, an IPv4 address or a bracketed IPv6
// address. Returns an explanation when invalid.
std::optional<std::string> check_host_port(std::string_view s, bool port_required) {
  std::string_view host;
  std::string_view rest;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return "unterminated [IPv6] address";
    host = s.substr(1, close - 1);
    rest = s.substr(close + 1);
    if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        })) {
      return "invalid IPv6 address";
    }
  } else {
    size_t colon = s.find(':');
    host = s.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : s.substr(colon);
    if (host.empty()) return "missing host";
    if (!std::all_of(host.begin(), host.end(), is_host_char)) return "invalid host name";
  }
  if (rest.empty()) {
    if (port_required) return "missing :port";
    return std::nullopt;
  }
  if (rest.front() != ':') return "unexpected text after the host";
  auto port = parse_int(rest.substr(1));
  if (!port || *port < 1 || *port > 65535) return "port must be 1..65535";
  return std::nullopt;
}

std::optional<std::string> check_uri(std::string_view v) {
  size_t sep = v.find("://");
  if (sep == std::string_view::npos) return "missing scheme";
  std::string scheme = lower(v.substr(0, sep));
  if (scheme != "http" && scheme != "https") return "scheme must be http or https";
  if (has_blank_or_control(v)) return "white space or control characters";
  std::string_view rest = v.substr(sep + 3);
  size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) {
    return "credentials in the URI are not accepted (use the *_api_key variables)";
  }
  return check_host_port(authority, false);
}

// A refused URI is quoted back without its user-info part, which may hold a password.
std::string without_userinfo(std::string_view uri) {
  size_t sep = uri.find("://");
  if (sep == std::string_view::npos) return std::string(uri);
  size_t start = sep + 3;
  size_t end = uri.find_first_of("/?#", start);
  size_t at = uri.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(uri);
  return std::string(uri.substr(0, start)) + "********" + std::string(uri.substr(at));
}

Error wrong_value(const VariableSpec& spec, std::string_view value, std::string_view why = {}) {
  bool hide = spec.type == VarType::kSecret || spec.type == VarType::kCredentials;
  std::string shown = hide                         ? display_value(spec, value)
                      : spec.type == VarType::kUri ? without_userinfo(value)
                                                   : std::string(value);
  std::string message = fmt::format("Variable '{}' can't be set to the value of '{}': expected {}",
                                    spec.name, shown, describe_allowed(spec));
  if (!why.empty()) message += fmt::format(" ({})", why);
  return Error::make(errc::kWrongValueForVar, std::move(message));
}

}  // namespace

std::string_view module_prefix(VarModule module) {
  switch (module) {
    case VarModule::kGenai:
      return "genai-";
    case VarModule::kMysql:
      return "mysql-";
    case VarModule::kAdmin:
      return "admin-";
  }
  return "";
}

std::string_view module_name(VarModule module) {
  switch (module) {
    case VarModule::kGenai:
      return "GENAI";
    case VarModule::kMysql:
      return "MYSQL";
    case VarModule::kAdmin:
      return "ADMIN";
  }
  return "";
}

std::span<const VariableSpec> all_variables() {
  return registry();
}

const VariableSpec* find_variable(std::string_view name) {
  std::string key = lower(name);
  for (auto& spec : registry()) {
    if (spec.name == key) return &spec;
  }
  return nullptr;
}

std::optional<VarModule> module_of(std::string_view name) {
  std::string key = lower(name);
  for (auto m : {VarModule::kGenai, VarModule::kMysql, VarModule::kAdmin}) {
    if (key.starts_with(module_prefix(m))) return m;
  }
  return std::nullopt;
}

std::optional<int64_t> parse_int(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<bool> parse_bool(std::string_view text) {
  std::string v = lower(text);
  if (v == "true" || v == "1" || v == "on" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "off" || v == "no") return false;
  return std::nullopt;
}

std::string describe_allowed(const VariableSpec& spec) {
  switch (spec.type) {
    case VarType::kInt:
      return fmt::format("an integer in {}..{}", spec.min, spec.max);
    case VarType::kBool:
      return "true or false";
    case VarType::kString:
      return spec.required ? "a non-empty string" : "a string";
    case VarType::kEnum:
      return fmt::format("one of {}", fmt::join(spec.choices, ", "));
    case VarType::kUri:
      return "an http(s)://host[:port]/path URL or lexical:";
    case VarType::kAddressList:
      return "host:port, several separated by ;";
    case VarType::kCredentials:
      return "user:password, several separated by ;";
    case VarType::kSecret:
      return "a literal key or env:NAME";
  }
  return "a valid value";
}

Result<std::string> validate_value(const VariableSpec& spec, std::string_view value) {
  switch (spec.type) {
    case VarType::kInt: {
      auto n = parse_int(value);
      if (!n || *n < spec.min || *n > spec.max) return std::unexpected(wrong_value(spec, value));
      return std::to_string(*n);
    }
    case VarType::kBool: {
      auto b = parse_bool(value);
      if (!b) return std::unexpected(wrong_value(spec, value));
      return std::string(*b ? "true" : "false");
    }
    case VarType::kString:
      if (spec.required && value.empty()) return std::unexpected(wrong_value(spec, value));
      return std::string(value);
    case VarType::kEnum:
      for (auto& choice : spec.choices) {
        if (iequals(choice, value)) return choice;
      }
      return std::unexpected(wrong_value(spec, value));
    case VarType::kUri: {
      if (iequals(value, "lexical:")) return std::string("lexical:");
      if (auto why = check_uri(value)) return std::unexpected(wrong_value(spec, value, *why));
      size_t sep = value.find("://");
      return lower(value.substr(0, sep)) + std::string(value.substr(sep));
    }
    case VarType::kAddressList: {
      if (value.empty()) return std::unexpected(wrong_value(spec, value));
      for (auto item : split(value, ';')) {
        if (auto why = check_host_port(item, true)) {
          return std::unexpected(wrong_value(spec, value, fmt::format("'{}': {}", item, *why)));
        }
      }
      return std::string(value);
    }
    case VarType::kCredentials: {
      if (value.empty() || has_blank_or_control(value)) {
        return std::unexpected(wrong_value(spec, value));
      }
      for (auto item : split(value, ';')) {
        size_t colon = item.find(':');
        if (colon == 0 || colon == std::string_view::npos || colon + 1 == item.size()) {
          return std::unexpected(wrong_value(spec, value));
        }
      }
      return std::string(value);
    }
    case VarType::kSecret: {
      if (value.starts_with("env:")) {
        std::string_view name = value.substr(4);
        bool ok = !name.empty() && !std::isdigit(static_cast<unsigned char>(name.front())) &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                  });
        if (!ok) return std::unexpected(wrong_value(spec, value, "bad environment variable name"));
      }
      return std::string(value);
    }
  }
  return std::unexpected(wrong_value(spec, value));
}

bool is_secret_literal(std::string_view value) {
  return !value.empty() && !value.starts_with("env:");
}

std::string display_value(const VariableSpec& spec, std::string_view value) {
  if (spec.type == VarType::kSecret) {
    return is_secret_literal(value) ? "********" : std::string(value);
  }
  if (spec.type == VarType::kCredentials) {
    std::vector<std::string> items;
    for (auto item : split(value, ';')) {
      size_t colon = item.find(':');
      items.push_back(colon == std::string_view::npos
                          ? std::string(item)
                          : std::string(item.substr(0, colon)) + ":********");
    }
    return fmt::format("{}", fmt::join(items, ";"));
  }
  return std::string(value);
}

Result<std::string> resolve_secret(std::string_view variable, std::string_view value) {
  if (!value.starts_with("env:")) return std::string(value);
  std::string name(value.substr(4));
  const char* env = std::getenv(name.c_str());
  if (!env) {
    return make_error(errc::kWrongValueForVar,
                      fmt::format("{}: environment variable {} is not set", variable, name));
  }
  return std::string(env);
}

}  // namespace gp::admin
