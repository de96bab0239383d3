// The admin module: ProxySQL's configuration model over SQLite. Tables live
// in `main` (memory) and `disk` (<datadir>/genaiproxy.db); `runtime_*` tables
// show the published snapshot; `stats_*` tables show live counters.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/endpoint_facts.h"
#include "core/error.h"
#include "core/job_checkpoint.h"
#include "core/metrics.h"
#include "mysql/resultset.h"

namespace gp::admin {

struct Options {
  std::string config_path;  // the libconfig file given with --config
  std::string datadir;      // --datadir, else the file's `datadir`, else the file's folder
  bool initial = false;     // --initial: rebuild the disk database from the file
};

// Who runs a statement: an admin login (admin-admin_credentials) may do
// anything; a stats login (admin-stats_credentials) reads the stats schema and
// the statements that show it, and is refused everything else (1142).
enum class Access { kAdmin, kStats };

class Admin {
 public:
  // Reads the config file, opens (or creates) the disk database, fills the
  // memory tables (from the file on first start or with --initial, else from
  // disk), and publishes the first runtime snapshot. An invalid file gives an
  // error naming the file, the line and the key.
  static Result<std::unique_ptr<Admin>> open(const Options& options, ConfigStore& config,
                                             MetricsRegistry& metrics);
  virtual ~Admin() = default;

  // Runs one admin statement (SET, LOAD/SAVE, SHOW, SELECT @@, CHECKSUM or plain
  // SQL over the admin tables). Thread-safe: statements are serialised.
  virtual Result<mysql::QueryResult> execute(std::string_view sql,
                                             Access access = Access::kAdmin) = 0;

  // The datadir in use.
  virtual const std::string& datadir() const = 0;

  // Where `SELECT VERSION()` and `@@version` read the version the proxy
  // announces (mysql-server_version resolved against the backends).
  virtual void set_server_version_source(std::function<std::string()> source) = 0;

  // What FLUSH GENAI CACHE calls (the GenAI engine's embedding cache).
  virtual void set_genai_cache_flush(std::function<void()> flush) = 0;

  // The embedding jobs' checkpoints: disk.genai_job_checkpoints.
  virtual JobCheckpointStore& job_checkpoints() = 0;

  // Where runtime_genai_endpoints reads what the endpoints' capability
  // probes found (the GenAI engine).
  virtual void set_endpoint_discovery_source(
      std::function<std::vector<EndpointDiscovery>()> source) = 0;

  // PROXYSQL RELOAD TLS: reads the interfaces' certificates again; its
  // error (a missing or mismatched file) is the statement's answer.
  virtual void set_tls_reload(std::function<Result<void>()> reload) = 0;

  // What PROXYSQL PAUSE (true) and PROXYSQL RESUME (false) call: stop and
  // start accepting clients on the client interface.
  virtual void set_pause_listeners(std::function<Result<void>(bool pause)> pause) = 0;
};

}  // namespace gp::admin
