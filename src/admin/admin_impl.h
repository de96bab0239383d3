// The Admin implementation, shared by the files that hold its parts:
// admin.cpp (open, dispatch), layers.cpp (LOAD/SAVE), queries.cpp (SHOW,
// SELECT @@, CHECKSUM, plain SQL, runtime and stats tables).
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <span>
#include <string>

#include "admin/admin.h"
#include "admin/config_file.h"
#include "admin/sqlite_db.h"
#include "admin/statement.h"
#include "admin/store.h"

namespace gp::admin {

class AdminImpl final : public Admin, public JobCheckpointStore {
 public:
  AdminImpl(Options options, std::string datadir, Database db, ConfigStore& config,
            MetricsRegistry& metrics);

  Result<mysql::QueryResult> execute(std::string_view sql, Access access) override;
  void set_server_version_source(std::function<std::string()> source) override {
    server_version_ = std::move(source);
  }
  void set_genai_cache_flush(std::function<void()> flush) override {
    flush_genai_cache_ = std::move(flush);
  }
  void set_endpoint_discovery_source(
      std::function<std::vector<EndpointDiscovery>()> source) override {
    endpoint_discovery_ = std::move(source);
  }
  void set_tls_reload(std::function<Result<void>()> reload) override {
    reload_tls_ = std::move(reload);
  }
  void set_pause_listeners(std::function<Result<void>(bool pause)> pause) override {
    pause_listeners_ = std::move(pause);
  }
  const std::string& datadir() const override { return datadir_; }
  JobCheckpointStore& job_checkpoints() override { return *this; }
  // job_checkpoints.cpp
  Result<std::optional<JobCheckpoint>> load(int64_t job_id) override;
  Result<void> save(const JobCheckpoint& checkpoint) override;

  // Startup: fill memory from the file or disk, then publish everything.
  Result<void> initialise(const ConfigFile& file, bool rebuild_disk);

 private:
  Result<mysql::QueryResult> dispatch(const AdminStatement& statement);

  // layers.cpp
  Result<void> transfer(Target target, Transfer transfer);
  // LOAD ... TO RUNTIME is all-or-nothing: the first invalid value or row is
  // the error and nothing is published. At startup (`startup`) the disk must
  // never keep the proxy from starting: an invalid value takes its default and
  // an invalid row is left out, each logged by name with the reason.
  Result<void> load_to_runtime(std::span<const Target> targets, bool startup = false);
  Result<void> save_from_runtime(Target target);
  Result<void> disk_to_memory(Target target);
  Result<void> memory_to_disk(Target target);
  Result<void> file_to_memory(Target target, const ConfigFile& file);
  Result<void> copy_model_tables(std::string_view from, std::string_view to);
  Result<mysql::QueryResult> set_variable(const SetVariable& set);

  // queries.cpp
  Result<mysql::QueryResult> show_variables(const ShowVariables& show);
  Result<mysql::QueryResult> select_variables(const SelectVariables& select);
  Result<mysql::QueryResult> checksum(const Checksum& checksum);
  Result<mysql::QueryResult> show_tables(const ShowTables& show);
  Result<mysql::QueryResult> show_databases();
  Result<mysql::QueryResult> show_create_table(const ShowCreateTable& show);
  Result<mysql::QueryResult> plain_sql(const std::string& sql);
  Result<std::vector<TextRow>> runtime_variable_rows(bool masked);
  Result<void> refresh_runtime_tables();
  Result<void> fill_endpoint_discovery();
  Result<void> refresh_stats_tables(std::string_view sql);

  // operator_verbs.cpp
  Result<mysql::QueryResult> show_fields(const ShowFields& show);
  Result<mysql::QueryResult> show_table_status(const ShowTableStatus& show);
  Result<mysql::QueryResult> show_processlist(const ShowProcesslist& show);
  Result<mysql::QueryResult> show_mysql_status();
  Result<mysql::QueryResult> truncate_stats(const TruncateStats& truncate);
  Result<mysql::QueryResult> save_config_to_file(const SaveConfigToFile& save);
  Result<mysql::QueryResult> pause_listeners(const PauseListeners& pause);
  Result<mysql::QueryResult> flush_logs();

  // access.cpp: what a stats login may run.
  Result<void> check_access(const AdminStatement& statement) const;
  Result<void> check_schema_access(std::string_view schema) const;

  // Admin statements run with `trusted_` false: the SQLite authorizer then
  // hides global_secrets and refuses ATTACH, triggers, views and DROP of the
  // configuration tables.
  static int authorize(void* self, int action, const char* a, const char* b, const char* db,
                       const char* trigger);

  std::mutex mutex_;
  Options options_;
  std::string datadir_;
  Database db_;
  Store store_;
  ConfigStore& config_;
  MetricsRegistry& metrics_;
  bool trusted_ = true;
  Access access_ = Access::kAdmin;  // of the statement running
  // The API key text that was loaded to runtime (e.g. env:NAME), shown and
  // saved back instead of the resolved secret.
  VariableMap runtime_key_text_;
  // The same for the secrets of genai_credentials: name -> secret as
  // configured (a literal, env:NAME or file:PATH).
  std::map<std::string, std::string> runtime_secret_text_;
  std::set<std::string> stats_tables_;
  std::function<std::string()> server_version_;
  std::function<void()> flush_genai_cache_;
  std::function<std::vector<EndpointDiscovery>()> endpoint_discovery_;
  std::function<Result<void>()> reload_tls_;
  std::function<Result<void>(bool)> pause_listeners_;
};

// A guard that runs admin-supplied SQL untrusted for its lifetime.
class UntrustedScope {
 public:
  explicit UntrustedScope(bool& trusted) : trusted_(trusted) { trusted_ = false; }
  ~UntrustedScope() { trusted_ = true; }
  UntrustedScope(const UntrustedScope&) = delete;
  UntrustedScope& operator=(const UntrustedScope&) = delete;

 private:
  bool& trusted_;
};

}  // namespace gp::admin
