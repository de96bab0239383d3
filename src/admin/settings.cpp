#include "admin/settings.h"

#include <string>

namespace gp::admin {

namespace {

int get_int(const VariableMap& v, const std::string& name) {
  return static_cast<int>(parse_int(v.at(name)).value_or(0));
}

bool get_bool(const VariableMap& v, const std::string& name) {
  return parse_bool(v.at(name)).value_or(false);
}

std::string bool_text(bool b) {
  return b ? "true" : "false";
}

std::string configured_or(const VariableMap& configured, const std::string& name,
                          const std::string& fallback) {
  auto it = configured.find(name);
  return it == configured.end() ? fallback : it->second;
}

}  // namespace

Result<VariableMap> validate_module(VarModule module, const VariableMap& values,
                                    std::vector<std::string>* unknown) {
  VariableMap out;
  for (auto& spec : all_variables()) {
    if (spec.module != module) continue;
    auto it = values.find(spec.name);
    if (spec.read_only || it == values.end()) {
      out[spec.name] = spec.default_value;
      continue;
    }
    auto valid = validate_value(spec, it->second);
    if (!valid) return std::unexpected(valid.error());
    out[spec.name] = std::move(*valid);
  }
  if (unknown) {
    for (auto& [name, _] : values) {
      if (!out.contains(name)) unknown->push_back(name);
    }
  }
  return out;
}

Result<GenaiSettings> build_genai(const VariableMap& v) {
  GenaiSettings s;
  s.enabled = get_bool(v, "genai-enabled");
  s.sql_functions = get_bool(v, "genai-sql_functions");
  s.threads = get_int(v, "genai-threads");
  s.embedding_uri = v.at("genai-embedding_uri");
  s.rerank_uri = v.at("genai-rerank_uri");
  s.embedding_timeout_ms = get_int(v, "genai-embedding_timeout_ms");
  s.rerank_timeout_ms = get_int(v, "genai-rerank_timeout_ms");
  s.embedding_model = v.at("genai-embedding_model");
  s.rerank_model = v.at("genai-rerank_model");
  auto embedding_key = resolve_secret("genai-embedding_api_key", v.at("genai-embedding_api_key"));
  if (!embedding_key) return std::unexpected(embedding_key.error());
  s.embedding_api_key = std::move(*embedding_key);
  auto rerank_key = resolve_secret("genai-rerank_api_key", v.at("genai-rerank_api_key"));
  if (!rerank_key) return std::unexpected(rerank_key.error());
  s.rerank_api_key = std::move(*rerank_key);
  s.max_documents = get_int(v, "genai-max_documents");
  s.lexical_dimensions = get_int(v, "genai-lexical_dimensions");
  s.max_queue = get_int(v, "genai-max_queue");
  s.endpoint_concurrency = get_int(v, "genai-endpoint_concurrency");
  s.batch_size = get_int(v, "genai-batch_size");
  s.batch_window_us = get_int(v, "genai-batch_window_us");
  s.batch_max_documents = get_int(v, "genai-batch_max_documents");
  s.cache_max_bytes = parse_int(v.at("genai-cache_max_bytes")).value_or(0);
  s.cache_ttl_s = get_int(v, "genai-cache_ttl_s");
  return s;
}

MysqlSettings build_mysql(const VariableMap& v) {
  MysqlSettings s;
  s.threads = get_int(v, "mysql-threads");
  s.interfaces = v.at("mysql-interfaces");
  s.server_version = v.at("mysql-server_version");
  s.max_connections = get_int(v, "mysql-max_connections");
  s.connect_timeout_server_ms = get_int(v, "mysql-connect_timeout_server");
  s.connect_timeout_client_ms = get_int(v, "mysql-connect_timeout_client");
  s.default_query_timeout_ms = get_int(v, "mysql-default_query_timeout");
  s.shun_recovery_time_sec = get_int(v, "mysql-shun_recovery_time_sec");
  s.connection_max_age_ms = get_int(v, "mysql-connection_max_age_ms");
  s.free_connections_pct = get_int(v, "mysql-free_connections_pct");
  s.max_allowed_packet = get_int(v, "mysql-max_allowed_packet");
  s.have_ssl = get_bool(v, "mysql-have_ssl");
  return s;
}

AdminSettings build_admin(const VariableMap& v) {
  AdminSettings s;
  s.admin_credentials = v.at("admin-admin_credentials");
  s.mysql_ifaces = v.at("admin-mysql_ifaces");
  s.restapi_enabled = get_bool(v, "admin-restapi_enabled");
  s.restapi_port = get_int(v, "admin-restapi_port");
  return s;
}

VariableMap render_genai(const GenaiSettings& s, const VariableMap& configured) {
  return {
      {"genai-enabled", bool_text(s.enabled)},
      {"genai-sql_functions", bool_text(s.sql_functions)},
      {"genai-threads", std::to_string(s.threads)},
      {"genai-embedding_uri", s.embedding_uri},
      {"genai-rerank_uri", s.rerank_uri},
      {"genai-embedding_timeout_ms", std::to_string(s.embedding_timeout_ms)},
      {"genai-rerank_timeout_ms", std::to_string(s.rerank_timeout_ms)},
      {"genai-embedding_model", s.embedding_model},
      {"genai-rerank_model", s.rerank_model},
      {"genai-embedding_api_key",
       configured_or(configured, "genai-embedding_api_key", s.embedding_api_key)},
      {"genai-rerank_api_key", configured_or(configured, "genai-rerank_api_key", s.rerank_api_key)},
      {"genai-max_documents", std::to_string(s.max_documents)},
      {"genai-lexical_dimensions", std::to_string(s.lexical_dimensions)},
      {"genai-max_queue", std::to_string(s.max_queue)},
      {"genai-endpoint_concurrency", std::to_string(s.endpoint_concurrency)},
      {"genai-batch_size", std::to_string(s.batch_size)},
      {"genai-batch_window_us", std::to_string(s.batch_window_us)},
      {"genai-batch_max_documents", std::to_string(s.batch_max_documents)},
      {"genai-cache_max_bytes", std::to_string(s.cache_max_bytes)},
      {"genai-cache_ttl_s", std::to_string(s.cache_ttl_s)},
  };
}

VariableMap render_mysql(const MysqlSettings& s) {
  return {
      {"mysql-threads", std::to_string(s.threads)},
      {"mysql-interfaces", s.interfaces},
      {"mysql-server_version", s.server_version},
      {"mysql-max_connections", std::to_string(s.max_connections)},
      {"mysql-connect_timeout_server", std::to_string(s.connect_timeout_server_ms)},
      {"mysql-connect_timeout_client", std::to_string(s.connect_timeout_client_ms)},
      {"mysql-default_query_timeout", std::to_string(s.default_query_timeout_ms)},
      {"mysql-shun_recovery_time_sec", std::to_string(s.shun_recovery_time_sec)},
      {"mysql-connection_max_age_ms", std::to_string(s.connection_max_age_ms)},
      {"mysql-free_connections_pct", std::to_string(s.free_connections_pct)},
      {"mysql-max_allowed_packet", std::to_string(s.max_allowed_packet)},
      {"mysql-have_ssl", bool_text(s.have_ssl)},
  };
}

VariableMap render_admin(const AdminSettings& s) {
  VariableMap v = {
      {"admin-admin_credentials", s.admin_credentials},
      {"admin-mysql_ifaces", s.mysql_ifaces},
      {"admin-restapi_enabled", bool_text(s.restapi_enabled)},
      {"admin-restapi_port", std::to_string(s.restapi_port)},
  };
  v["admin-version"] = find_variable("admin-version")->default_value;
  return v;
}

}  // namespace gp::admin
