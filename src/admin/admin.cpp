#include "admin/admin.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "admin/admin_impl.h"
#include "admin/result_builder.h"
#include "admin/schema.h"
#include "fmt/format.h"

namespace gp::admin {

namespace {

constexpr Target kAllTargets[] = {
    Target::kAdminVariables, Target::kMysqlVariables, Target::kGenaiVariables, Target::kMysqlUsers,
    Target::kMysqlServers,   Target::kGenaiModels,    Target::kGenaiJobs};

std::string choose_datadir(const Options& options, const ConfigFile& file) {
  if (!options.datadir.empty()) return options.datadir;
  if (file.datadir && !file.datadir->empty()) return *file.datadir;
  auto folder = std::filesystem::path(options.config_path).parent_path();
  return folder.empty() ? std::string(".") : folder.string();
}

bool protected_table(const char* name) {
  if (!name) return false;
  std::string_view n(name);
  return n == kGlobalVariables || is_hidden_table(n) || find_row_table(n) ||
         n == kJobCheckpointsTable || n.starts_with("runtime_") || n.starts_with("stats_");
}

bool readable_pragma(const char* name) {
  if (!name) return false;
  std::string_view n(name);
  return n == "table_info" || n == "table_xinfo" || n == "index_list" || n == "index_info" ||
         n == "database_list" || n == "foreign_key_list";
}

// ProxySQL's memory counters that apply here: the SQLite store's, and the
// process's own sizes (there is no jemalloc to ask).
StatsTable memory_metrics() {
  StatsTable t;
  t.rows.push_back({"SQLite3_memory_bytes", std::to_string(sqlite3_memory_used())});
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0;
  uint64_t resident_pages = 0;
  if (statm >> size_pages >> resident_pages) {
    const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    t.rows.push_back({"process_virtual_bytes", std::to_string(size_pages * page)});
    t.rows.push_back({"process_resident_bytes", std::to_string(resident_pages * page)});
  }
  return t;
}

}  // namespace

Result<std::unique_ptr<Admin>> Admin::open(const Options& options, ConfigStore& config,
                                           MetricsRegistry& metrics) {
  ConfigFile file;
  if (!options.config_path.empty()) {
    auto read = read_config_file(options.config_path);
    if (!read) return std::unexpected(read.error());
    file = std::move(*read);
    for (auto& warning : file.warnings) spdlog::warn("{}", warning);
  }
  std::string datadir = choose_datadir(options, file);
  std::error_code ec;
  std::filesystem::create_directories(datadir, ec);
  if (ec) {
    return make_error(errc::kUnknownError,
                      fmt::format("cannot create datadir {}: {}", datadir, ec.message()));
  }
  std::string disk_path = (std::filesystem::path(datadir) / "genaiproxy.db").string();

  auto db = Database::open(":memory:");
  if (!db) return std::unexpected(db.error());
  auto attach = db->exec("ATTACH DATABASE ? AS disk", {disk_path});
  if (!attach) {
    return make_error(errc::kUnknownError,
                      fmt::format("cannot open {}: {}", disk_path, attach.error().message));
  }
  for (auto step : {db->exec_script("ATTACH DATABASE ':memory:' AS stats;"
                                    "PRAGMA disk.synchronous = FULL;"),
                    create_config_tables(*db, "main"), create_config_tables(*db, "disk"),
                    create_runtime_tables(*db), create_job_checkpoint_table(*db)}) {
    if (!step) {
      return make_error(errc::kUnknownError,
                        fmt::format("{}: {}", disk_path, step.error().message));
    }
  }
  // The first save writes every table in one transaction, so a database with
  // no variables was never completely written and is rebuilt from the file.
  auto probe = db->prepare("SELECT count(*) FROM disk.global_variables");
  if (!probe) return std::unexpected(probe.error());
  if (auto row = probe->step(); !row) return std::unexpected(row.error());
  bool disk_ready = probe->column_int(0) > 0;
  probe = Statement();

  auto admin = std::make_unique<AdminImpl>(options, datadir, std::move(*db), config, metrics);
  bool rebuild = options.initial || !disk_ready;
  if (rebuild) {
    spdlog::info("admin: building {} from {}{}", disk_path,
                 options.config_path.empty() ? "built-in defaults" : options.config_path,
                 options.initial ? " (--initial)" : "");
  } else {
    spdlog::info(
        "admin: loading configuration from {}; values in {} other than datadir are "
        "ignored (use --initial to rebuild from the file)",
        disk_path, options.config_path.empty() ? "the config file" : options.config_path);
  }
  if (auto r = admin->initialise(file, rebuild); !r) return std::unexpected(r.error());
  return std::unique_ptr<Admin>(std::move(admin));
}

AdminImpl::AdminImpl(Options options, std::string datadir, Database db, ConfigStore& config,
                     MetricsRegistry& metrics)
    : options_(std::move(options)),
      datadir_(std::move(datadir)),
      db_(std::move(db)),
      store_(db_),
      config_(config),
      metrics_(metrics) {
  sqlite3_set_authorizer(db_.get(), &AdminImpl::authorize, this);
  metrics_.register_table("stats_memory_metrics", {"Variable_Name", "Variable_Value"},
                          [] { return memory_metrics(); });
}

Result<void> AdminImpl::initialise(const ConfigFile& file, bool rebuild_disk) {
  std::lock_guard lock(mutex_);
  auto tx = Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  if (auto r = store_.insert_missing_defaults("main"); !r) return r;
  for (Target target : kAllTargets) {
    auto r = rebuild_disk ? file_to_memory(target, file) : disk_to_memory(target);
    if (!r) return r;
  }
  if (rebuild_disk) {
    if (auto r = db_.exec_script("DELETE FROM disk.global_variables;"); !r) return r;
    for (Target target : kAllTargets) {
      if (auto r = memory_to_disk(target); !r) return r;
    }
  }
  if (auto r = tx->commit(); !r) return r;
  return load_to_runtime(kAllTargets, true);
}

Result<mysql::QueryResult> AdminImpl::execute(std::string_view sql, Access access) {
  std::lock_guard lock(mutex_);
  auto statement = parse_statement(sql);
  if (!statement) return std::unexpected(statement.error());
  access_ = access;
  auto result = check_access(*statement);
  auto answer = result ? dispatch(*statement) : std::unexpected(result.error());
  access_ = Access::kAdmin;
  return answer;
}

Result<mysql::QueryResult> AdminImpl::dispatch(const AdminStatement& statement) {
  using R = Result<mysql::QueryResult>;
  return std::visit(
      [&](const auto& s) -> R {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, SetVariable>) {
          return set_variable(s);
        } else if constexpr (std::is_same_v<T, SessionSet> ||
                             std::is_same_v<T, TransactionControl>) {
          return mysql::OkPacket{};
        } else if constexpr (std::is_same_v<T, LoadSave>) {
          if (auto r = transfer(s.target, s.transfer); !r) return std::unexpected(r.error());
          return mysql::OkPacket{};
        } else if constexpr (std::is_same_v<T, ShowVariables>) {
          return show_variables(s);
        } else if constexpr (std::is_same_v<T, SelectVariables>) {
          return select_variables(s);
        } else if constexpr (std::is_same_v<T, Checksum>) {
          return checksum(s);
        } else if constexpr (std::is_same_v<T, ShowTables>) {
          return show_tables(s);
        } else if constexpr (std::is_same_v<T, ShowDatabases>) {
          return show_databases();
        } else if constexpr (std::is_same_v<T, ShowCreateTable>) {
          return show_create_table(s);
        } else if constexpr (std::is_same_v<T, ShowWarnings>) {
          return text_result({"Level", "Code", "Message"}, {});
        } else if constexpr (std::is_same_v<T, FlushGenaiCache>) {
          if (flush_genai_cache_) flush_genai_cache_();
          return mysql::OkPacket{};
        } else if constexpr (std::is_same_v<T, ReloadTls>) {
          if (!reload_tls_) {
            return make_error(errc::kUnknownError, "TLS is not set up in this process");
          }
          if (auto reloaded = reload_tls_(); !reloaded) return std::unexpected(reloaded.error());
          return mysql::OkPacket{};
        } else if constexpr (std::is_same_v<T, ShowFields>) {
          return show_fields(s);
        } else if constexpr (std::is_same_v<T, ShowTableStatus>) {
          return show_table_status(s);
        } else if constexpr (std::is_same_v<T, ShowProcesslist>) {
          return show_processlist(s);
        } else if constexpr (std::is_same_v<T, ShowMysqlStatus>) {
          return show_mysql_status();
        } else if constexpr (std::is_same_v<T, TruncateStats>) {
          return truncate_stats(s);
        } else if constexpr (std::is_same_v<T, SaveConfigToFile>) {
          return save_config_to_file(s);
        } else if constexpr (std::is_same_v<T, PauseListeners>) {
          return pause_listeners(s);
        } else if constexpr (std::is_same_v<T, FlushLogs>) {
          return flush_logs();
        } else {
          return plain_sql(s.sql);
        }
      },
      statement);
}

int AdminImpl::authorize(void* self, int action, const char* a, const char* b, const char* db,
                         const char* trigger) {
  auto* admin = static_cast<AdminImpl*>(self);
  if (admin->trusted_) return SQLITE_OK;
  if (admin->access_ == Access::kStats) {
    // A stats login reads the stats schema and calls functions; nothing else.
    switch (action) {
      case SQLITE_SELECT:
      case SQLITE_FUNCTION:
        return SQLITE_OK;
      case SQLITE_READ:
        return db && std::string_view(db) == "stats" ? SQLITE_OK : SQLITE_DENY;
      default:
        return SQLITE_DENY;
    }
  }
  bool from_secret_trigger = trigger && std::string_view(trigger).starts_with(kSecretTriggerPrefix);
  switch (action) {
    case SQLITE_READ:
    case SQLITE_UPDATE:
    case SQLITE_INSERT:
    case SQLITE_DELETE:
      return a && is_hidden_table(a) && !from_secret_trigger ? SQLITE_DENY : SQLITE_OK;
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_TABLE:
      return protected_table(a) ? SQLITE_DENY : SQLITE_OK;
    case SQLITE_ALTER_TABLE:
      return protected_table(b) ? SQLITE_DENY : SQLITE_OK;
    case SQLITE_PRAGMA:
      return readable_pragma(a) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_VTABLE:
      return SQLITE_DENY;
    default:
      return SQLITE_OK;
  }
}

}  // namespace gp::admin
