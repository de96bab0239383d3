// The runtime configuration: an immutable snapshot that the admin module
// builds on `LOAD ... TO RUNTIME` and publishes atomically. Hot paths take a
// snapshot (a pointer copy) and read it without further locks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/snapshot_ptr.h"

namespace gp {

// The member initializers of GenaiSettings, MysqlSettings and AdminSettings
// are the defaults of the variables that fill them: the variable registry
// (admin/variables.cpp) binds each variable to its member and reads the
// default from here, so a default is written only once.
struct GenaiSettings {
  bool enabled = true;        // false: every GENAI statement gets 9106
  bool sql_functions = true;  // GENAI_EMBED & co. recognised in ordinary SQL (SPEC-SQL)
  int threads = 4;
  std::string embedding_uri = "http://127.0.0.1:8013/embedding";
  std::string rerank_uri = "http://127.0.0.1:8012/rerank";
  int embedding_timeout_ms = 30000;
  int rerank_timeout_ms = 30000;
  std::string embedding_model;
  std::string rerank_model;
  std::string embedding_api_key;  // resolved (an `env:NAME` value is read at load time)
  std::string rerank_api_key;
  int max_documents = 10000;
  int lexical_dimensions = 384;
  int max_queue = 10000;          // requests admitted at once; beyond: "overloaded" error
  int endpoint_concurrency = 64;  // HTTP requests in flight per service endpoint
  int batch_size = 0;             // documents per upstream request; 0 = one request
  int batch_window_us = 0;        // micro-batching: longest wait; 0 = off
  int batch_max_documents = 64;   // micro-batching: documents per shared request
  int64_t cache_max_bytes = 268435456;
  int cache_ttl_s = 0;                 // 0: the embedding cache is off
  int max_retries = 2;                 // per upstream request; a model's max_retries overrides
  int retry_backoff_ms = 100;          // first retry's backoff, doubled each time, with jitter
  int endpoint_failure_threshold = 5;  // consecutive failures that start a cooldown; 0 = never
  int endpoint_cooldown_ms = 10000;    // how long a failing endpoint is skipped
  int probe_interval_ms = 60000;       // capability probes; 0 = only at load
};

struct MysqlSettings {
  int threads = 4;
  std::string interfaces = "0.0.0.0:6033";
  std::string server_version = "auto";  // "auto": the backends' own version
  int max_connections = 10000;
  int connect_timeout_server_ms = 3000;
  int connect_timeout_client_ms = 10000;  // time a client has to complete its login
  int default_query_timeout_ms = 36000000;
  int shun_recovery_time_sec = 10;
  int connection_max_age_ms = 0;
  int free_connections_pct = 10;
  int max_allowed_packet = 67108864;
  // A statement that takes longer counts in Slow_queries (stats_mysql_global).
  int long_query_time_ms = 1000;
  bool have_ssl = true;  // TLS offered on the client interface
  // Backend TLS (mysql_servers.use_ssl = 1), ProxySQL's names: the CA that
  // verifies servers' certificates (empty: not verified), and an optional
  // client certificate and key for servers that ask for one.
  std::string ssl_p2s_ca;
  // The client and admin interfaces' certificate and key files; empty: the
  // datadir's proxysql-cert.pem and proxysql-key.pem (generated when
  // missing). ssl_ca, when set, verifies the certificates clients present.
  std::string ssl_cert;
  std::string ssl_key;
  std::string ssl_ca;
  std::string ssl_p2s_cert;
  std::string ssl_p2s_key;
};

struct AdminSettings {
  std::string admin_credentials = "admin:admin";
  // Logins that read the stats schema only (what monitoring tools use).
  std::string stats_credentials = "stats:stats";
  std::string mysql_ifaces = "127.0.0.1:6032";
  bool have_ssl = true;  // TLS offered on the admin interface
  bool restapi_enabled = false;
  int restapi_port = 6070;
};

struct MysqlUser {
  std::string username;
  std::string password;  // plain text, or '*'+40 hex (mysql_native_password hash)
  bool active = true;
  bool use_ssl = false;  // the client must connect with TLS
  int default_hostgroup = 0;
  std::string default_schema;
  bool transaction_persistent = true;
  int max_connections = 10000;
  std::string comment;
  // Kept so that runtime_mysql_users and SAVE MYSQL USERS FROM RUNTIME show
  // the rows as they were loaded; the proxy does not act on them.
  bool schema_locked = false;
  bool fast_forward = false;
  std::string attributes;
  // Which rows the user had: a frontend row lets it log in to the proxy, a
  // backend row is the account the proxy uses on the servers.
  bool frontend = true;
  bool backend = true;
};

struct MysqlServer {
  int hostgroup_id = 0;
  std::string hostname;
  int port = 3306;
  std::string status = "ONLINE";  // ONLINE, SHUNNED, OFFLINE_SOFT, OFFLINE_HARD
  int weight = 1;
  int max_connections = 1000;
  int use_ssl = 0;
  int max_latency_ms = 0;
  std::string comment;
};

// Named models (SPEC-MODELS.md, docs/MODELS.md): the admin tables
// genai_models, genai_endpoints, genai_credentials and genai_model_grants.
struct GenaiModel {
  std::string name;
  std::string kind = "embed";  // "embed" or "rerank"
  std::string provider_model;  // sent upstream as "model"
  std::string format = "auto";
  std::string credential;  // a GenaiCredential name, or empty
  int dimensions = 0;      // 0: learnt from the first answer
  int max_batch_documents = 0;
  int64_t max_batch_bytes = 0;
  int timeout_ms = 0;  // 0: the genai-*_timeout_ms default
  int max_retries = 0;
  int hedge_after_ms = 0;
  int cache_ttl_s = 0;
  bool is_default = false;
  std::string comment;
};

struct GenaiModelEndpoint {
  std::string model_name;
  std::string uri;
  int priority = 0;  // lower first
  int weight = 1;
  int max_concurrency = 0;  // 0: genai-endpoint_concurrency
  std::string comment;
};

struct GenaiCredential {
  std::string name;
  std::string secret;  // resolved at LOAD (literal, env:NAME, file:PATH); never shown
};

struct GenaiModelGrant {
  std::string username;
  std::string model_name;
  int64_t max_requests_per_minute = 0;  // 0: unlimited
  int64_t max_documents_per_day = 0;
};

// An embedding job (SPEC-JOBS.md, docs/JOBS.md): the admin table genai_jobs.
struct GenaiJob {
  int64_t job_id = 0;
  std::string username;         // a mysql_users user: its hostgroup, credentials and privileges
  std::string table_name;       // schema.table
  std::string key_column;       // the primary key (one column)
  std::string text_expression;  // a column or an SQL expression over the row
  std::string target_column;
  std::string target_format = "json";  // json, binary, vec_fromtext, string_to_vector
  std::string model;                   // empty: the default embedding model
  std::string filter;                  // an extra WHERE condition, or empty
  std::string mode = "backfill";       // backfill or sync
  std::string change_column;           // sync: grows when the text changes
  int interval_s = 10;                 // sync: seconds between passes
  int batch_size = 64;                 // documents per upstream request
  int concurrency = 2;                 // batches in flight
  bool active = true;
  std::string comment;
};

struct RuntimeConfig {
  GenaiSettings genai;
  MysqlSettings mysql;
  AdminSettings admin;
  std::vector<MysqlUser> users;
  std::vector<MysqlServer> servers;
  std::vector<GenaiModel> models;
  std::vector<GenaiModelEndpoint> model_endpoints;
  std::vector<GenaiCredential> credentials;
  std::vector<GenaiModelGrant> model_grants;
  std::vector<GenaiJob> jobs;
};

// Holds the current snapshot. Thread-safe.
class ConfigStore {
 public:
  using Listener = std::function<void(const std::shared_ptr<const RuntimeConfig>&)>;

  ConfigStore() : current_(std::make_shared<const RuntimeConfig>()) {}

  std::shared_ptr<const RuntimeConfig> current() const { return current_.load(); }

  // Publishes a new snapshot, then tells every listener (on the caller's thread).
  void publish(std::shared_ptr<const RuntimeConfig> next) {
    current_.store(next);
    std::vector<Listener> listeners;
    {
      std::lock_guard lock(mutex_);
      listeners = listeners_;
    }
    for (auto& l : listeners) l(next);
  }

  void subscribe(Listener listener) {
    std::lock_guard lock(mutex_);
    listeners_.push_back(std::move(listener));
  }

 private:
  SnapshotPtr<const RuntimeConfig> current_;
  std::mutex mutex_;
  std::vector<Listener> listeners_;
};

}  // namespace gp
