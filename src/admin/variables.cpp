#include "admin/variables.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <type_traits>

#include "fmt/format.h"
#include "sql/sql.h"

#ifndef GP_VERSION
#define GP_VERSION "0.0.0"
#endif

namespace gp::admin {

namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

template <class S>
constexpr VarModule module_of_settings() {
  if constexpr (std::is_same_v<S, GenaiSettings>) return VarModule::kGenai;
  if constexpr (std::is_same_v<S, MysqlSettings>) return VarModule::kMysql;
  if constexpr (std::is_same_v<S, AdminSettings>) return VarModule::kAdmin;
}

// `Config` is RuntimeConfig or const RuntimeConfig; the constness carries over.
template <class S, class Config>
auto& settings_of(Config& config) {
  if constexpr (std::is_same_v<S, GenaiSettings>) return config.genai;
  if constexpr (std::is_same_v<S, MysqlSettings>) return config.mysql;
  if constexpr (std::is_same_v<S, AdminSettings>) return config.admin;
}

template <class T>
std::string text_of(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value ? "true" : "false";
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(value);
  } else {
    return value;
  }
}

// A variable bound to a settings member: its module is the struct's, its
// default the member's initializer.
template <class S, class T>
VariableSpec bound(std::string name, T S::*member, VarType type, std::string help) {
  VariableSpec spec;
  spec.name = std::move(name);
  spec.module = module_of_settings<S>();
  spec.type = type;
  spec.default_value = text_of(S{}.*member);
  spec.help = std::move(help);
  spec.member = member;
  return spec;
}

template <class S, class Int>
requires std::is_same_v<Int, int> || std::is_same_v<Int, int64_t> VariableSpec
integer(std::string name, Int S::*member, int64_t min, int64_t max, std::string help) {
  VariableSpec spec = bound(std::move(name), member, VarType::kInt, std::move(help));
  spec.min = min;
  spec.max = max;
  return spec;
}

template <class S>
VariableSpec boolean(std::string name, bool S::*member, std::string help) {
  return bound(std::move(name), member, VarType::kBool, std::move(help));
}

// `type` says which text the member accepts: kString, kUri, kAddressList,
// kCredentials or kSecret.
template <class S>
VariableSpec text(std::string name, std::string S::*member, VarType type, std::string help,
                  bool required = false) {
  VariableSpec spec = bound(std::move(name), member, type, std::move(help));
  spec.required = required;
  return spec;
}

// Every variable is one row below, and everything else follows from the rows:
// validation, LOAD ... TO RUNTIME (assign), runtime_global_variables and SHOW
// VARIABLES (value_in, display_value), the configuration file, and the docs
// tables (tests/unit/admin/variables_docs_test.cpp checks them). A row names
// the settings member the variable fills by a pointer to member, so the C++
// type and the default are those of the member's declaration in core/config.h
// and are not written again; the row adds what a struct cannot say: the name,
// the text accepted, the range and the doc line. Pointers to members rather
// than an X-macro: the rows stay ordinary typed C++ (a range cannot be given
// to a string member, a misspelt member does not compile), and config.h stays
// the plain structs that every subsystem and test default-constructs.
std::vector<VariableSpec> build_registry() {
  using enum VarType;
  using G = GenaiSettings;
  using M = MysqlSettings;
  using A = AdminSettings;
  std::vector<VariableSpec> v = {
      // GENAI
      boolean("genai-enabled", &G::enabled,
              "false answers every GENAI statement with 9106 (module disabled)"),
      boolean("genai-sql_functions", &G::sql_functions,
              "false stops recognising GENAI_EMBED, GENAI_EMBED_BINARY and GENAI_RERANK in SQL"),
      integer("genai-threads", &G::threads, 1, 256, "HTTP engine threads"),
      text("genai-embedding_uri", &G::embedding_uri, kUri,
           "embedding service endpoint, or lexical: for the built-in provider"),
      text("genai-rerank_uri", &G::rerank_uri, kUri,
           "rerank service endpoint, or lexical: for the built-in provider"),
      integer("genai-embedding_timeout_ms", &G::embedding_timeout_ms, 100, 300000,
              "embedding request timeout"),
      integer("genai-rerank_timeout_ms", &G::rerank_timeout_ms, 100, 300000,
              "rerank request timeout"),
      text("genai-embedding_model", &G::embedding_model, kString,
           "sent as \"model\" to the embedding service when set"),
      text("genai-rerank_model", &G::rerank_model, kString,
           "sent as \"model\" to the rerank service when set"),
      text("genai-embedding_api_key", &G::embedding_api_key, kSecret,
           "bearer token for the embedding service: a literal or env:NAME"),
      text("genai-rerank_api_key", &G::rerank_api_key, kSecret,
           "bearer token for the rerank service: a literal or env:NAME"),
      integer("genai-max_documents", &G::max_documents, 1, 1000000, "documents per statement"),
      integer("genai-lexical_dimensions", &G::lexical_dimensions, 8, 4096,
              "vector dimension of the built-in lexical provider"),
      integer("genai-max_queue", &G::max_queue, 1, 1000000,
              "requests admitted at once; beyond this the module answers overloaded"),
      integer("genai-endpoint_concurrency", &G::endpoint_concurrency, 1, 10000,
              "HTTP requests in flight per service endpoint"),
      integer("genai-cache_max_bytes", &G::cache_max_bytes, 0, 1099511627776,
              "bytes of embeddings the cache may hold (LRU beyond)"),
      integer("genai-cache_ttl_s", &G::cache_ttl_s, 0, 31536000,
              "seconds an embedding stays cached; 0 turns the cache off"),
      integer("genai-batch_window_us", &G::batch_window_us, 0, 1000000,
              "microseconds an embed statement may wait to share an upstream request that "
              "others are sending; 0 turns micro-batching off"),
      integer("genai-batch_max_documents", &G::batch_max_documents, 1, 100000,
              "documents per shared upstream request; larger statements go alone"),
      integer("genai-batch_size", &G::batch_size, 0, 100000,
              "documents per upstream request; 0 sends one request per statement"),
      integer("genai-max_retries", &G::max_retries, 0, 100,
              "retries of an upstream request after a connection failure, a timeout or HTTP "
              "408/429/5xx; a model's max_retries overrides it"),
      integer("genai-retry_backoff_ms", &G::retry_backoff_ms, 0, 60000,
              "backoff before the first retry, doubled for each further one, with jitter; a "
              "longer Retry-After is honoured"),
      integer("genai-endpoint_failure_threshold", &G::endpoint_failure_threshold, 0, 1000,
              "consecutive failures after which an endpoint cools down; 0 never cools one down"),
      integer("genai-endpoint_cooldown_ms", &G::endpoint_cooldown_ms, 100, 3600000,
              "how long a cooling endpoint is skipped before one probe request is sent to it"),
      integer("genai-probe_interval_ms", &G::probe_interval_ms, 0, 86400000,
              "how often the endpoints of named models are probed for what they serve "
              "(runtime_genai_endpoints); 0 probes them only at load"),
      // MYSQL
      integer("mysql-threads", &M::threads, 1, 256, "network threads of the client interface"),
      text("mysql-interfaces", &M::interfaces, kAddressList,
           "client listeners, host:port separated by ;"),
      text("mysql-server_version", &M::server_version, kString,
           "server version announced to clients; auto = the backends' own (8.0.36 until one is "
           "known)",
           true),
      integer("mysql-max_connections", &M::max_connections, 1, 1000000, "client connections"),
      integer("mysql-connect_timeout_server", &M::connect_timeout_server_ms, 10, 120000,
              "backend connect timeout in milliseconds"),
      integer("mysql-connect_timeout_client", &M::connect_timeout_client_ms, 100, 3600000,
              "milliseconds a client has to complete its login"),
      integer("mysql-default_query_timeout", &M::default_query_timeout_ms, 1000, 1728000000,
              "backend query timeout in milliseconds"),
      integer("mysql-shun_recovery_time_sec", &M::shun_recovery_time_sec, 0, 31536000,
              "seconds before a shunned server is tried again"),
      integer("mysql-connection_max_age_ms", &M::connection_max_age_ms, 0, 86400000,
              "idle backend connections older than this are closed; 0 = no limit"),
      integer("mysql-free_connections_pct", &M::free_connections_pct, 0, 100,
              "idle backend connections kept, in percent of max_connections"),
      integer("mysql-max_allowed_packet", &M::max_allowed_packet, 8192, 1073741824,
              "largest packet accepted from clients"),
      integer("mysql-long_query_time", &M::long_query_time_ms, 0, 1728000000,
              "milliseconds after which a statement counts in Slow_queries"),
      boolean("mysql-have_ssl", &M::have_ssl,
              "offer TLS on the client interface (certificates: proxysql-*.pem in the datadir)"),
      text("mysql-ssl_cert", &M::ssl_cert, kString,
           "certificate file (PEM) of the client and admin interfaces; empty: the datadir's"),
      text("mysql-ssl_key", &M::ssl_key, kString,
           "key file (PEM) of mysql-ssl_cert; empty: the datadir's"),
      text("mysql-ssl_ca", &M::ssl_ca, kString,
           "CA file that verifies the certificates clients present; empty: not asked"),
      text("mysql-ssl_p2s_ca", &M::ssl_p2s_ca, kString,
           "CA file that verifies the certificates of use_ssl backends; empty: not verified"),
      text("mysql-ssl_p2s_cert", &M::ssl_p2s_cert, kString,
           "client certificate file presented to use_ssl backends; empty: none"),
      text("mysql-ssl_p2s_key", &M::ssl_p2s_key, kString, "key file of mysql-ssl_p2s_cert"),
      // ADMIN
      text("admin-admin_credentials", &A::admin_credentials, kCredentials,
           "admin users, user:password separated by ;"),
      text("admin-stats_credentials", &A::stats_credentials, kCredentials,
           "logins that read the stats schema only, user:password separated by ;"),
      text("admin-mysql_ifaces", &A::mysql_ifaces, kAddressList,
           "admin listeners, host:port separated by ;"),
      boolean("admin-have_ssl", &A::have_ssl, "offer TLS on the admin interface"),
      boolean("admin-restapi_enabled", &A::restapi_enabled, "serve metrics and health over HTTP"),
      integer("admin-restapi_port", &A::restapi_port, 1, 65535, "port of the metrics endpoint"),
  };
  VariableSpec version;
  version.name = "admin-version";
  version.module = VarModule::kAdmin;
  version.type = kString;
  version.default_value = admin_version();
  version.read_only = true;
  version.help = "ProxySQL admin release matched, then -genaiproxy- and the release (read-only)";
  v.push_back(std::move(version));
  std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return v;
}

const std::vector<VariableSpec>& registry() {
  static const std::vector<VariableSpec> specs = build_registry();
  return specs;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sql::ascii_lower(a) == sql::ascii_lower(b);
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
  std::string scheme = sql::ascii_lower(v.substr(0, sep));
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

std::string admin_version() {
  // Tools parse MAJOR.MINOR.PATCH-SUFFIX (community.proxysql splits on the
  // first '-' and needs three integers before it and a suffix after it).
  return std::string(kProxysqlAdminRelease) + "-genaiproxy-" + GP_VERSION;
}

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
  std::string key = sql::ascii_lower(name);
  for (auto& spec : registry()) {
    if (spec.name == key) return &spec;
  }
  return nullptr;
}

std::optional<VarModule> module_of(std::string_view name) {
  std::string key = sql::ascii_lower(name);
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
  std::string v = sql::ascii_lower(text);
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
      return sql::ascii_lower(value.substr(0, sep)) + std::string(value.substr(sep));
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

std::string value_in(const VariableSpec& spec, const RuntimeConfig& config) {
  return std::visit(Overloaded{[&](std::monostate) { return spec.default_value; },
                               [&]<class S, class T>(T S::*member) {
                                 return text_of(settings_of<S>(config).*member);
                               }},
                    spec.member);
}

Result<void> assign(const VariableSpec& spec, std::string_view value, RuntimeConfig& config) {
  return std::visit(Overloaded{[](std::monostate) -> Result<void> { return {}; },
                               [&]<class S, class T>(T S::*member) -> Result<void> {
                                 T& target = settings_of<S>(config).*member;
                                 if constexpr (std::is_same_v<T, bool>) {
                                   target = parse_bool(value).value_or(false);
                                 } else if constexpr (std::is_integral_v<T>) {
                                   target = static_cast<T>(parse_int(value).value_or(0));
                                 } else if (spec.type == VarType::kSecret) {
                                   auto secret = resolve_secret(spec.name, value);
                                   if (!secret) return std::unexpected(secret.error());
                                   target = std::move(*secret);
                                 } else {
                                   target = std::string(value);
                                 }
                                 return {};
                               }},
                    spec.member);
}

}  // namespace gp::admin
