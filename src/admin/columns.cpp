#include "admin/columns.h"

namespace gp::admin {

namespace {

constexpr int64_t kIntMax = 2147483647;
constexpr int64_t kInt64Max = 9223372036854775807;

std::vector<std::string> names_of(const std::vector<Column>& columns) {
  std::vector<std::string> names;
  for (const auto& c : columns) names.emplace_back(c.name);
  return names;
}

}  // namespace

// The columns follow ProxySQL's names, types and keys so that its
// documentation and habits apply.
const std::vector<Column>& mysql_users_table() {
  static const std::vector<Column> columns = {
      {"username", "VARCHAR NOT NULL", false, 0, 0, true},
      {"password", "VARCHAR"},
      {"active", "INT CHECK (active IN (0,1)) NOT NULL DEFAULT 1", true, 0, 1},
      {"use_ssl", "INT CHECK (use_ssl IN (0,1)) NOT NULL DEFAULT 0", true, 0, 1},
      {"default_hostgroup", "INT NOT NULL DEFAULT 0", true, 0, kIntMax},
      {"default_schema", "VARCHAR"},
      {"schema_locked", "INT CHECK (schema_locked IN (0,1)) NOT NULL DEFAULT 0", true, 0, 1},
      {"transaction_persistent", "INT CHECK (transaction_persistent IN (0,1)) NOT NULL DEFAULT 1",
       true, 0, 1},
      {"fast_forward", "INT CHECK (fast_forward IN (0,1)) NOT NULL DEFAULT 0", true, 0, 1},
      {"backend", "INT CHECK (backend IN (0,1)) NOT NULL DEFAULT 1", true, 0, 1},
      {"frontend", "INT CHECK (frontend IN (0,1)) NOT NULL DEFAULT 1", true, 0, 1},
      {"max_connections", "INT CHECK (max_connections >= 0) NOT NULL DEFAULT 10000", true, 0,
       kIntMax},
      {"attributes",
       "VARCHAR CHECK (JSON_VALID(attributes) OR attributes = '') NOT NULL DEFAULT ''"},
      {"comment", "VARCHAR NOT NULL DEFAULT ''"},
  };
  return columns;
}

const std::vector<Column>& mysql_servers_table() {
  static const std::vector<Column> columns = {
      {"hostgroup_id",
       "INT CHECK (hostgroup_id >= 0) NOT NULL DEFAULT 0",
       true,
       0,
       kIntMax,
       false,
       {},
       "hostgroup"},
      {"hostname", "VARCHAR NOT NULL", false, 0, 0, true, {}, "address"},
      {"port", "INT CHECK (port >= 0 AND port <= 65535) NOT NULL DEFAULT 3306", true, 0, 65535},
      {"gtid_port",
       "INT CHECK ((gtid_port <> port OR gtid_port = 0) AND gtid_port >= 0 AND "
       "gtid_port <= 65535) NOT NULL DEFAULT 0",
       true, 0, 65535},
      {"status",
       "VARCHAR CHECK (UPPER(status) IN ('ONLINE','SHUNNED','OFFLINE_SOFT','OFFLINE_HARD')) "
       "NOT NULL DEFAULT 'ONLINE'",
       false,
       0,
       0,
       false,
       {"ONLINE", "SHUNNED", "OFFLINE_SOFT", "OFFLINE_HARD"}},
      {"weight", "INT CHECK (weight >= 0 AND weight <= 10000000) NOT NULL DEFAULT 1", true, 0,
       10000000},
      {"compression", "INT CHECK (compression >= 0 AND compression <= 102400) NOT NULL DEFAULT 0",
       true, 0, 102400},
      {"max_connections", "INT CHECK (max_connections >= 0) NOT NULL DEFAULT 1000", true, 0,
       kIntMax},
      {"max_replication_lag",
       "INT CHECK (max_replication_lag >= 0 AND max_replication_lag <= 126144000) NOT NULL "
       "DEFAULT 0",
       true, 0, 126144000},
      {"use_ssl", "INT CHECK (use_ssl IN (0,1)) NOT NULL DEFAULT 0", true, 0, 1},
      {"max_latency_ms", "INT UNSIGNED CHECK (max_latency_ms >= 0) NOT NULL DEFAULT 0", true, 0,
       kIntMax},
      {"comment", "VARCHAR NOT NULL DEFAULT ''"},
  };
  return columns;
}

// A name is the key statements select a model by, so it cannot be empty;
// the choices of kind and format are what the engine implements.
const std::vector<Column>& genai_models_table() {
  static const std::vector<Column> columns = {
      {"name", "VARCHAR NOT NULL CHECK (name <> '')", false, 0, 0, true},
      {"kind",
       "VARCHAR CHECK (kind IN ('embed','rerank')) NOT NULL DEFAULT 'embed'",
       false,
       0,
       0,
       false,
       {"embed", "rerank"}},
      {"provider_model", "VARCHAR NOT NULL DEFAULT ''"},
      {"format",
       "VARCHAR CHECK (format IN ('auto','llama','openai','tei','ollama','cohere','jina',"
       "'vllm')) NOT NULL DEFAULT 'auto'",
       false,
       0,
       0,
       false,
       {"auto", "llama", "openai", "tei", "ollama", "cohere", "jina", "vllm"}},
      {"credential", "VARCHAR NOT NULL DEFAULT ''"},
      {"dimensions", "INT CHECK (dimensions >= 0) NOT NULL DEFAULT 0", true, 0, kIntMax},
      {"max_batch_documents", "INT CHECK (max_batch_documents >= 0) NOT NULL DEFAULT 0", true, 0,
       kIntMax},
      {"max_batch_bytes", "INT CHECK (max_batch_bytes >= 0) NOT NULL DEFAULT 0", true, 0,
       kInt64Max},
      {"timeout_ms", "INT CHECK (timeout_ms >= 0) NOT NULL DEFAULT 0", true, 0, kIntMax},
      {"max_retries", "INT CHECK (max_retries >= 0) NOT NULL DEFAULT 0", true, 0, kIntMax},
      {"hedge_after_ms", "INT CHECK (hedge_after_ms >= 0) NOT NULL DEFAULT 0", true, 0, kIntMax},
      {"cache_ttl_s", "INT CHECK (cache_ttl_s >= 0) NOT NULL DEFAULT 0", true, 0, kIntMax},
      {"is_default", "INT CHECK (is_default IN (0,1)) NOT NULL DEFAULT 0", true, 0, 1},
      {"comment", "VARCHAR NOT NULL DEFAULT ''"},
  };
  return columns;
}

// The scheme of uri is checked at LOAD, where the error can name the row.
const std::vector<Column>& genai_endpoints_table() {
  static const std::vector<Column> columns = {
      {"model_name", "VARCHAR NOT NULL", false, 0, 0, true},
      {"uri", "VARCHAR NOT NULL", false, 0, 0, true},
      {"priority", "INT CHECK (priority >= 0) NOT NULL DEFAULT 0", true, 0, kIntMax},
      {"weight", "INT CHECK (weight >= 1 AND weight <= 10000000) NOT NULL DEFAULT 1", true, 1,
       10000000},
      {"max_concurrency", "INT CHECK (max_concurrency >= 0) NOT NULL DEFAULT 0", true, 0, kIntMax},
      {"comment", "VARCHAR NOT NULL DEFAULT ''"},
  };
  return columns;
}

const std::vector<Column>& genai_endpoint_discovery_columns() {
  static const std::vector<Column> columns = {
      {"probe_state",
       "VARCHAR CHECK (probe_state IN ('not_probed','ok','loading','unreachable','error')) NOT "
       "NULL DEFAULT 'not_probed'"},
      {"probe_detail", "VARCHAR NOT NULL DEFAULT ''"},
      {"probed_at", "INT NOT NULL DEFAULT 0"},
      {"discovered_model", "VARCHAR NOT NULL DEFAULT ''"},
      {"discovered_kind", "VARCHAR NOT NULL DEFAULT ''"},
      {"discovered_dimension", "INT"},
      {"discovered_context", "INT"},
      {"discovered_slots", "INT"},
      {"discovered_batch_documents", "INT"},
      {"discovered_batch_tokens", "INT"},
      {"warning", "VARCHAR NOT NULL DEFAULT ''"},
  };
  return columns;
}

const std::vector<Column>& genai_credentials_table() {
  static const std::vector<Column> columns = {
      {"name", "VARCHAR NOT NULL CHECK (name <> '')", false, 0, 0, true},
      {"secret", "VARCHAR NOT NULL DEFAULT ''"},
  };
  return columns;
}

const std::vector<Column>& genai_model_grants_table() {
  static const std::vector<Column> columns = {
      {"username", "VARCHAR NOT NULL CHECK (username <> '')", false, 0, 0, true},
      {"model_name", "VARCHAR NOT NULL", false, 0, 0, true},
      {"max_requests_per_minute", "INT CHECK (max_requests_per_minute >= 0) NOT NULL DEFAULT 0",
       true, 0, kInt64Max},
      {"max_documents_per_day", "INT CHECK (max_documents_per_day >= 0) NOT NULL DEFAULT 0", true,
       0, kInt64Max},
  };
  return columns;
}

// The identifiers of a job are checked at LOAD (job_tables.cpp), where the
// error can name the job; text_expression and filter are SQL the job's
// user runs with its own privileges.
const std::vector<Column>& genai_jobs_table() {
  static const std::vector<Column> columns = {
      {"job_id", "INT CHECK (job_id >= 1) NOT NULL", true, 1, kInt64Max},
      {"username", "VARCHAR NOT NULL CHECK (username <> '')", false, 0, 0, true},
      {"table_name", "VARCHAR NOT NULL CHECK (table_name <> '')", false, 0, 0, true},
      {"key_column", "VARCHAR NOT NULL CHECK (key_column <> '')", false, 0, 0, true},
      {"text_expression", "VARCHAR NOT NULL CHECK (text_expression <> '')", false, 0, 0, true},
      {"target_column", "VARCHAR NOT NULL CHECK (target_column <> '')", false, 0, 0, true},
      {"target_format",
       "VARCHAR CHECK (target_format IN ('json','binary','vec_fromtext','string_to_vector')) "
       "NOT NULL DEFAULT 'json'",
       false,
       0,
       0,
       false,
       {"json", "binary", "vec_fromtext", "string_to_vector"}},
      {"model", "VARCHAR NOT NULL DEFAULT ''"},
      {"filter", "VARCHAR NOT NULL DEFAULT ''"},
      {"mode",
       "VARCHAR CHECK (mode IN ('backfill','sync')) NOT NULL DEFAULT 'backfill'",
       false,
       0,
       0,
       false,
       {"backfill", "sync"}},
      {"change_column", "VARCHAR NOT NULL DEFAULT ''"},
      {"interval_s", "INT CHECK (interval_s >= 1 AND interval_s <= 86400) NOT NULL DEFAULT 10",
       true, 1, 86400},
      {"batch_size", "INT CHECK (batch_size >= 1 AND batch_size <= 4096) NOT NULL DEFAULT 64", true,
       1, 4096},
      {"concurrency", "INT CHECK (concurrency >= 1 AND concurrency <= 64) NOT NULL DEFAULT 2", true,
       1, 64},
      {"active", "INT CHECK (active IN (0,1)) NOT NULL DEFAULT 1", true, 0, 1},
      {"comment", "VARCHAR NOT NULL DEFAULT ''"},
  };
  return columns;
}

const std::vector<RowTable>& row_tables() {
  auto table = [](std::string_view name, const std::vector<Column>& columns, std::string_view key,
                  std::string_view constraints = {}) {
    return RowTable{name, columns, key, constraints, names_of(columns)};
  };
  static const std::vector<RowTable> tables = {
      table("mysql_users", mysql_users_table(), "username, backend", "UNIQUE (username, frontend)"),
      table("mysql_servers", mysql_servers_table(), "hostgroup_id, hostname, port"),
      table(kGenaiCredentials, genai_credentials_table(), "name"),
      table(kGenaiModels, genai_models_table(), "name"),
      table(kGenaiEndpoints, genai_endpoints_table(), "model_name, uri"),
      table(kGenaiModelGrants, genai_model_grants_table(), "username, model_name"),
      table(kGenaiJobs, genai_jobs_table(), "job_id"),
  };
  return tables;
}

std::vector<const RowTable*> genai_model_tables() {
  std::vector<const RowTable*> out;
  for (const auto& t : row_tables()) {
    if (t.name.starts_with("genai_") && t.name != kGenaiJobs) out.push_back(&t);
  }
  return out;
}

const RowTable* find_row_table(std::string_view name) {
  if (name.starts_with("runtime_")) name.remove_prefix(8);
  for (const auto& t : row_tables()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const std::vector<std::string>& mysql_users_columns() {
  static const std::vector<std::string> names = names_of(mysql_users_table());
  return names;
}

const std::vector<std::string>& mysql_servers_columns() {
  static const std::vector<std::string> names = names_of(mysql_servers_table());
  return names;
}

}  // namespace gp::admin
