// LOAD / SAVE between the layers: disk <-> memory <-> runtime.
#include <spdlog/spdlog.h>

#include "admin/admin_impl.h"
#include "admin/columns.h"
#include "admin/job_tables.h"
#include "admin/model_tables.h"
#include "admin/runtime_rows.h"
#include "admin/schema.h"
#include "admin/settings.h"
#include "fmt/format.h"

namespace gp::admin {

namespace {

VariableMap with_prefix(const VariableMap& values, VarModule module) {
  VariableMap out;
  for (auto& [name, value] : values) {
    if (name.starts_with(module_prefix(module))) out[name] = value;
  }
  return out;
}

VariableMap read_only_values() {
  VariableMap out;
  for (auto& spec : all_variables()) {
    if (spec.read_only) out[spec.name] = spec.default_value;
  }
  return out;
}

void log_startup_problem(std::string_view what) {
  spdlog::warn("admin: startup: {}", what);
}

// The rows of `rows` that convert on their own, each refused one logged.
template <class Convert>
std::vector<TextRow> convertible_rows(const std::vector<TextRow>& rows, Convert convert) {
  std::vector<TextRow> kept;
  for (auto& row : rows) {
    auto one = convert(std::vector<TextRow>{row});
    if (one) {
      kept.push_back(row);
    } else {
      log_startup_problem(
          fmt::format("{}; the row is left out of the runtime", one.error().message));
    }
  }
  return kept;
}

// The model rows that make a valid configuration together, added table by
// table in the order they refer to each other (credentials first); each row
// that would make it invalid is logged and left out.
ModelRows usable_model_rows(const ModelRows& all) {
  ModelRows kept;
  auto valid = [](const ModelRows& rows) -> Result<void> {
    auto models = models_from_rows(rows);
    if (!models) return std::unexpected(models.error());
    auto credentials = resolve_credentials(models->credentials);
    if (!credentials) return std::unexpected(credentials.error());
    return {};
  };
  if (valid(all)) return all;
  for (const RowTable* table : genai_model_tables()) {
    for (auto& row : all.of(table->name)) {
      kept.of(table->name).push_back(row);
      if (auto r = valid(kept); !r) {
        kept.of(table->name).pop_back();
        log_startup_problem(
            fmt::format("{}; the row is left out of the runtime", r.error().message));
      }
    }
  }
  return kept;
}

}  // namespace

Result<void> AdminImpl::transfer(Target target, Transfer transfer) {
  Result<void> result;
  if (transfer == Transfer::kMemoryToRuntime) {
    result = load_to_runtime(std::span<const Target>(&target, 1));
  } else {
    std::optional<ConfigFile> file;
    if (transfer == Transfer::kConfigToMemory) {
      if (options_.config_path.empty()) {
        return make_error(errc::kUnknownError, "no configuration file was given");
      }
      auto read = read_config_file(options_.config_path);
      if (!read) return std::unexpected(read.error());
      file = std::move(*read);
    }
    // One transaction per verb: a failure (or a crash) leaves the previous
    // content of the destination whole.
    auto tx = Transaction::begin(db_);
    if (!tx) return std::unexpected(tx.error());
    switch (transfer) {
      case Transfer::kRuntimeToMemory:
        result = save_from_runtime(target);
        break;
      case Transfer::kDiskToMemory:
        result = disk_to_memory(target);
        break;
      case Transfer::kMemoryToDisk:
        result = memory_to_disk(target);
        break;
      default:
        result = file_to_memory(target, *file);
    }
    if (result) result = tx->commit();
  }
  if (result) {
    static constexpr std::string_view kVerbs[] = {"LOAD {} TO RUNTIME", "SAVE {} TO MEMORY",
                                                  "LOAD {} FROM DISK", "SAVE {} TO DISK",
                                                  "LOAD {} FROM CONFIG"};
    spdlog::info("admin: {}", fmt::format(fmt::runtime(kVerbs[static_cast<int>(transfer)]),
                                          target_name(target)));
  }
  return result;
}

Result<void> AdminImpl::load_to_runtime(std::span<const Target> targets, bool startup) {
  auto next = std::make_shared<RuntimeConfig>(*config_.current());
  VariableMap key_text = runtime_key_text_;
  auto secret_text = runtime_secret_text_;
  for (Target target : targets) {
    if (is_variables(target)) {
      VarModule module = target_module(target);
      auto raw = store_.read_variables("main", module);
      if (!raw) return std::unexpected(raw.error());
      std::vector<std::string> unknown;
      std::vector<std::string> replaced;
      auto values = validate_module(module, *raw, &unknown, startup ? &replaced : nullptr);
      if (!values) return std::unexpected(values.error());
      for (auto& name : unknown) spdlog::warn("admin: ignoring unknown variable {}", name);
      for (auto& line : replaced) log_startup_problem(line);
      auto built = build_module(module, *values, *next);
      if (!built) return std::unexpected(built.error());
      // The runtime keeps the resolved secret; the configured text (env:NAME)
      // is what SAVE and the runtime tables show.
      for (auto& spec : all_variables()) {
        if (spec.module == module && spec.type == VarType::kSecret) {
          key_text[spec.name] = values->at(spec.name);
        }
      }
    } else if (target == Target::kMysqlUsers) {
      auto rows = store_.read_rows("main", kMysqlUsers);
      if (!rows) return std::unexpected(rows.error());
      if (startup) *rows = convertible_rows(*rows, users_from_rows);
      auto users = users_from_rows(*rows);
      if (!users) return std::unexpected(users.error());
      next->users = std::move(*users);
    } else if (target == Target::kGenaiModels) {
      auto rows = store_.read_model_rows("main");
      if (!rows) return std::unexpected(rows.error());
      if (startup) *rows = usable_model_rows(*rows);
      auto models = models_from_rows(*rows);
      if (!models) return std::unexpected(models.error());
      auto credentials = resolve_credentials(models->credentials);
      if (!credentials) return std::unexpected(credentials.error());
      // As for API keys: runtime keeps the resolved secret, SAVE and the
      // runtime tables the configured text.
      secret_text.clear();
      for (auto& c : models->credentials) secret_text[c.name] = c.secret;
      next->models = std::move(models->models);
      next->model_endpoints = std::move(models->endpoints);
      next->credentials = std::move(*credentials);
      next->model_grants = std::move(models->grants);
    } else if (target == Target::kGenaiJobs) {
      auto rows = store_.read_rows("main", kGenaiJobs);
      if (!rows) return std::unexpected(rows.error());
      auto jobs = jobs_from_rows(*rows);
      if (!jobs) return std::unexpected(jobs.error());
      next->jobs = std::move(*jobs);
    } else {
      auto rows = store_.read_rows("main", kMysqlServers);
      if (!rows) return std::unexpected(rows.error());
      if (startup) *rows = convertible_rows(*rows, servers_from_rows);
      auto servers = servers_from_rows(*rows);
      if (!servers) return std::unexpected(servers.error());
      next->servers = std::move(*servers);
    }
  }
  config_.publish(std::shared_ptr<const RuntimeConfig>(std::move(next)));
  runtime_key_text_ = std::move(key_text);
  runtime_secret_text_ = std::move(secret_text);
  return {};
}

Result<void> AdminImpl::save_from_runtime(Target target) {
  auto snapshot = config_.current();
  switch (target) {
    case Target::kGenaiVariables:
    case Target::kMysqlVariables:
    case Target::kAdminVariables:
      return store_.upsert_variables(
          "main", render_module(target_module(target), *snapshot, runtime_key_text_));
    case Target::kMysqlUsers:
      return store_.replace_rows("main", kMysqlUsers, rows_from_users(snapshot->users));
    case Target::kMysqlServers:
      return store_.replace_rows("main", kMysqlServers, rows_from_servers(snapshot->servers));
    case Target::kGenaiModels:
      return store_.replace_model_rows("main", rows_from_models(*snapshot, runtime_secret_text_));
    case Target::kGenaiJobs:
      return store_.replace_rows("main", kGenaiJobs, rows_from_jobs(snapshot->jobs));
  }
  return {};
}

Result<void> AdminImpl::copy_model_tables(std::string_view from, std::string_view to) {
  for (const RowTable* table : genai_model_tables()) {
    if (auto r = store_.copy_rows(from, to, table->name); !r) return r;
  }
  return {};
}

Result<void> AdminImpl::disk_to_memory(Target target) {
  if (target == Target::kGenaiModels) return copy_model_tables("disk", "main");
  if (!is_variables(target)) return store_.copy_rows("disk", "main", table_of(target));
  VarModule module = target_module(target);
  auto values = store_.read_variables("disk", module);
  if (!values) return std::unexpected(values.error());
  if (auto r = store_.replace_variables("main", module, *values); !r) return r;
  // Variables added by a newer version have no row on disk yet.
  if (auto r = store_.insert_missing_defaults("main"); !r) return r;
  return store_.upsert_variables("main", with_prefix(read_only_values(), module));
}

Result<void> AdminImpl::memory_to_disk(Target target) {
  if (target == Target::kGenaiModels) return copy_model_tables("main", "disk");
  if (!is_variables(target)) return store_.copy_rows("main", "disk", table_of(target));
  VarModule module = target_module(target);
  auto values = store_.read_variables("main", module);
  if (!values) return std::unexpected(values.error());
  return store_.replace_variables("disk", module, *values);
}

Result<void> AdminImpl::file_to_memory(Target target, const ConfigFile& file) {
  switch (target) {
    case Target::kMysqlUsers:
      return store_.upsert_config_rows("main", kMysqlUsers, file.users);
    case Target::kMysqlServers:
      return store_.upsert_config_rows("main", kMysqlServers, file.servers);
    case Target::kGenaiModels:
      for (auto& [table, rows] : file.model_tables) {
        if (table == kGenaiJobs) continue;
        if (auto r = store_.upsert_config_rows("main", table, rows); !r) return r;
      }
      return {};
    case Target::kGenaiJobs:
      if (auto it = file.model_tables.find(kGenaiJobs); it != file.model_tables.end()) {
        return store_.upsert_config_rows("main", kGenaiJobs, it->second);
      }
      return {};
    default:
      return store_.upsert_variables("main", with_prefix(file.variables, target_module(target)));
  }
}

Result<mysql::QueryResult> AdminImpl::set_variable(const SetVariable& set) {
  const VariableSpec* spec = find_variable(set.name);
  if (!spec) {
    return make_error(errc::kUnknownSystemVariable,
                      fmt::format("Unknown system variable '{}'", set.name));
  }
  if (spec->read_only) {
    return make_error(errc::kIncorrectScope,
                      fmt::format("Variable '{}' is a read only variable", spec->name));
  }
  auto value = validate_value(*spec, set.value);
  if (!value) return std::unexpected(value.error());
  if (auto r = store_.upsert_variables("main", {{spec->name, *value}}); !r) {
    return std::unexpected(r.error());
  }
  spdlog::info("admin: SET {} = '{}'", spec->name, display_value(*spec, *value));
  mysql::OkPacket ok;
  ok.affected_rows = 1;
  return ok;
}

}  // namespace gp::admin
