#include "admin/model_tables.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "admin/columns.h"
#include "admin/row_reader.h"
#include "admin/variables.h"
#include "fmt/format.h"
#include "sql/sql.h"

namespace gp::admin {

namespace {

// The references a secret may be instead of a literal.
constexpr std::string_view kEnvPrefix = "env:";
constexpr std::string_view kFilePrefix = "file:";
constexpr std::string_view kMask = "********";

bool is_env_name(std::string_view name) {
  return !name.empty() && !std::isdigit(static_cast<unsigned char>(name.front())) &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
         });
}

bool valid_uri(std::string_view uri) {
  std::string l = sql::ascii_lower(uri);
  for (std::string_view scheme : {"http://", "https://"}) {
    if (l.starts_with(scheme) && l.size() > scheme.size()) return true;
  }
  return l.starts_with("lexical:");
}

Result<GenaiCredential> credential_from(const TextRow& row) {
  Reader r(kGenaiCredentials, row);
  GenaiCredential c{r.text("name"), r.text("secret")};
  if (c.name.empty()) return r.error("name", "must not be empty");
  // The trigger keeps the mask only where it stored the literal beside it,
  // so a mask here was written as the value itself.
  if (c.secret == kMask) {
    return r.error("secret", "holds the mask '********', not a secret: write the secret itself");
  }
  if (c.secret.starts_with(kEnvPrefix) && !is_env_name(c.secret.substr(kEnvPrefix.size()))) {
    return r.error("secret", "env: must be followed by an environment variable name");
  }
  if (c.secret.starts_with(kFilePrefix) && c.secret.size() == kFilePrefix.size()) {
    return r.error("secret", "file: must be followed by a path");
  }
  return c;
}

Result<GenaiModel> model_from(const TextRow& row) {
  Reader r(kGenaiModels, row);
  GenaiModel m;
  m.name = r.text("name");
  if (m.name.empty()) return r.error("name", "must not be empty");
  auto kind = r.choice("kind");
  if (!kind) return std::unexpected(kind.error());
  auto format = r.choice("format");
  if (!format) return std::unexpected(format.error());
  m.kind = *kind;
  m.format = *format;
  m.provider_model = r.text("provider_model");
  m.credential = r.text("credential");
  m.comment = r.text("comment");
  struct IntColumn {
    std::string_view name;
    int64_t* wide;
    int* narrow;
  };
  int64_t is_default = 0;
  for (auto [name, wide, narrow] :
       {IntColumn{"dimensions", nullptr, &m.dimensions},
        IntColumn{"max_batch_documents", nullptr, &m.max_batch_documents},
        IntColumn{"max_batch_bytes", &m.max_batch_bytes, nullptr},
        IntColumn{"timeout_ms", nullptr, &m.timeout_ms},
        IntColumn{"max_retries", nullptr, &m.max_retries},
        IntColumn{"hedge_after_ms", nullptr, &m.hedge_after_ms},
        IntColumn{"cache_ttl_s", nullptr, &m.cache_ttl_s},
        IntColumn{"is_default", &is_default, nullptr}}) {
    auto n = r.number(name);
    if (!n) return std::unexpected(n.error());
    if (wide) *wide = *n;
    if (narrow) *narrow = static_cast<int>(*n);
  }
  m.is_default = is_default != 0;
  return m;
}

Result<GenaiModelEndpoint> endpoint_from(const TextRow& row) {
  Reader r(kGenaiEndpoints, row);
  GenaiModelEndpoint e;
  e.model_name = r.text("model_name");
  e.uri = r.text("uri");
  e.comment = r.text("comment");
  if (!valid_uri(e.uri)) {
    return r.error("uri", "must start with http://, https:// or lexical:");
  }
  auto priority = r.number("priority");
  auto weight = r.number("weight");
  auto concurrency = r.number("max_concurrency");
  for (auto* v : {&priority, &weight, &concurrency}) {
    if (!*v) return std::unexpected(v->error());
  }
  e.priority = static_cast<int>(*priority);
  e.weight = static_cast<int>(*weight);
  e.max_concurrency = static_cast<int>(*concurrency);
  return e;
}

Result<GenaiModelGrant> grant_from(const TextRow& row) {
  Reader r(kGenaiModelGrants, row);
  GenaiModelGrant g;
  g.username = r.text("username");
  g.model_name = r.text("model_name");
  if (g.username.empty()) return r.error("username", "must not be empty");
  auto per_minute = r.number("max_requests_per_minute");
  if (!per_minute) return std::unexpected(per_minute.error());
  auto per_day = r.number("max_documents_per_day");
  if (!per_day) return std::unexpected(per_day.error());
  g.max_requests_per_minute = *per_minute;
  g.max_documents_per_day = *per_day;
  return g;
}

Result<std::string> read_secret_file(std::string_view name, const std::string& path) {
  // A folder opens as a stream and reads as nothing: it is refused rather
  // than taken for an empty secret.
  std::error_code ec;
  bool folder = std::filesystem::is_directory(path, ec);
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in && !folder) text << in.rdbuf();
  if (folder || !in || in.bad()) {
    return make_error(
        errc::kUnknownError,
        fmt::format("genai_credentials row '{}': secret: cannot read file:{}", name, path));
  }
  std::string secret = text.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

SqlText num(int64_t n) {
  return std::to_string(n);
}

}  // namespace

std::vector<TextRow>& ModelRows::of(std::string_view table) {
  return const_cast<std::vector<TextRow>&>(std::as_const(*this).of(table));
}

const std::vector<TextRow>& ModelRows::of(std::string_view table) const {
  if (table == kGenaiCredentials) return credentials;
  if (table == kGenaiModels) return models;
  if (table == kGenaiEndpoints) return endpoints;
  return grants;
}

std::vector<TextRow> ModelRows::joined() const {
  std::vector<TextRow> out;
  for (const RowTable* table : genai_model_tables()) {
    out.push_back({std::string(table->name)});
    const auto& part = of(table->name);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

Result<ModelConfig> models_from_rows(const ModelRows& rows) {
  ModelConfig out;
  std::set<std::string> credentials;
  for (const auto& row : rows.credentials) {
    auto c = credential_from(row);
    if (!c) return std::unexpected(c.error());
    credentials.insert(c->name);
    out.credentials.push_back(std::move(*c));
  }
  std::map<std::string, std::string> default_of_kind;
  std::set<std::string> models;
  for (const auto& row : rows.models) {
    auto m = model_from(row);
    if (!m) return std::unexpected(m.error());
    Reader r(kGenaiModels, row);
    if (!m->credential.empty() && !credentials.contains(m->credential)) {
      return r.error("credential",
                     fmt::format("no genai_credentials row is named '{}'", m->credential));
    }
    if (m->is_default) {
      auto [it, first] = default_of_kind.emplace(m->kind, m->name);
      if (!first) {
        return r.error("is_default",
                       fmt::format("'{}' is already the default {} model", it->second, m->kind));
      }
    }
    models.insert(m->name);
    out.models.push_back(std::move(*m));
  }
  for (const auto& row : rows.endpoints) {
    auto e = endpoint_from(row);
    if (!e) return std::unexpected(e.error());
    if (!models.contains(e->model_name)) {
      return Reader(kGenaiEndpoints, row)
          .error("model_name", fmt::format("no genai_models row is named '{}'", e->model_name));
    }
    out.endpoints.push_back(std::move(*e));
  }
  for (const auto& row : rows.grants) {
    auto g = grant_from(row);
    if (!g) return std::unexpected(g.error());
    if (!models.contains(g->model_name)) {
      return Reader(kGenaiModelGrants, row)
          .error("model_name", fmt::format("no genai_models row is named '{}'", g->model_name));
    }
    out.grants.push_back(std::move(*g));
  }
  return out;
}

Result<std::vector<GenaiCredential>> resolve_credentials(
    const std::vector<GenaiCredential>& configured) {
  std::vector<GenaiCredential> out;
  for (const auto& c : configured) {
    GenaiCredential resolved{c.name, c.secret};
    if (c.secret.starts_with(kEnvPrefix)) {
      std::string name = c.secret.substr(kEnvPrefix.size());
      const char* value = std::getenv(name.c_str());
      if (!value) {
        return make_error(errc::kUnknownError,
                          fmt::format("genai_credentials row '{}': secret: environment variable "
                                      "{} is not set",
                                      c.name, name));
      }
      resolved.secret = value;
    } else if (c.secret.starts_with(kFilePrefix)) {
      auto secret = read_secret_file(c.name, c.secret.substr(kFilePrefix.size()));
      if (!secret) return std::unexpected(secret.error());
      resolved.secret = std::move(*secret);
    }
    // The secret becomes an HTTP header: a line break would end it there.
    if (resolved.secret.find_first_of("\r\n") != std::string::npos) {
      return make_error(
          errc::kUnknownError,
          fmt::format("genai_credentials row '{}': secret: holds a line break", c.name));
    }
    out.push_back(std::move(resolved));
  }
  return out;
}

ModelRows rows_from_models(const RuntimeConfig& config,
                           const std::map<std::string, std::string>& secret_text) {
  ModelRows rows;
  for (const auto& c : config.credentials) {
    auto it = secret_text.find(c.name);
    rows.credentials.push_back({c.name, it == secret_text.end() ? c.secret : it->second});
  }
  for (const auto& m : config.models) {
    rows.models.push_back({m.name, m.kind, m.provider_model, m.format, m.credential,
                           num(m.dimensions), num(m.max_batch_documents), num(m.max_batch_bytes),
                           num(m.timeout_ms), num(m.max_retries), num(m.hedge_after_ms),
                           num(m.cache_ttl_s), num(m.is_default ? 1 : 0), m.comment});
  }
  for (const auto& e : config.model_endpoints) {
    rows.endpoints.push_back(
        {e.model_name, e.uri, num(e.priority), num(e.weight), num(e.max_concurrency), e.comment});
  }
  for (const auto& g : config.model_grants) {
    rows.grants.push_back(
        {g.username, g.model_name, num(g.max_requests_per_minute), num(g.max_documents_per_day)});
  }
  return rows;
}

std::string shown_secret(std::string_view secret) {
  bool reference =
      secret.empty() || secret.starts_with(kEnvPrefix) || secret.starts_with(kFilePrefix);
  return reference ? std::string(secret) : std::string(kMask);
}

}  // namespace gp::admin
