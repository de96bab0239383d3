// Live statistics. Subsystems own their counters (plain atomics) and register
// a provider per stats table; the admin module materialises `stats_*` tables
// from the providers when queried, and the metrics endpoint renders them for
// Prometheus.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace gp {

struct StatsTable {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

class MetricsRegistry {
 public:
  using Provider = std::function<StatsTable()>;

  // `columns` fixes the table's shape even when it has no rows yet. A table of
  // two columns named Variable_Name, Variable_Value is a list of counters.
  // Several subsystems may register providers for one table (same columns);
  // its rows are then the concatenation of theirs, in registration order.
  void register_table(const std::string& name, std::vector<std::string> columns,
                      Provider provider) {
    std::lock_guard lock(mutex_);
    auto& entry = tables_[name];
    entry.columns = std::move(columns);
    entry.providers.push_back(std::move(provider));
  }

  std::vector<std::string> table_names() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> names;
    for (auto& [name, _] : tables_) names.push_back(name);
    return names;
  }

  std::vector<std::string> columns(const std::string& name) const {
    std::lock_guard lock(mutex_);
    auto it = tables_.find(name);
    return it == tables_.end() ? std::vector<std::string>{} : it->second.columns;
  }

  // What TRUNCATE TABLE of a stats table runs: a table that can be emptied
  // registers how (query digests, usage counters). Several resets may share
  // a name; they run in registration order.
  void register_reset(const std::string& name, std::function<void()> reset) {
    std::lock_guard lock(mutex_);
    resets_[name].push_back(std::move(reset));
  }
  // Runs the resets of `name`; false when it has none.
  bool reset(const std::string& name) const {
    std::vector<std::function<void()>> resets;
    {
      std::lock_guard lock(mutex_);
      auto it = resets_.find(name);
      if (it == resets_.end()) return false;
      resets = it->second;
    }
    for (auto& r : resets) r();
    return true;
  }

  // The current content of a table (empty when unknown).
  StatsTable snapshot(const std::string& name) const {
    std::vector<Provider> providers;
    StatsTable t;
    {
      std::lock_guard lock(mutex_);
      auto it = tables_.find(name);
      if (it == tables_.end()) return {};
      providers = it->second.providers;
      t.columns = it->second.columns;
    }
    for (auto& p : providers) {
      if (!p) continue;
      StatsTable part = p();
      for (auto& row : part.rows) t.rows.push_back(std::move(row));
    }
    return t;
  }

 private:
  struct Entry {
    std::vector<std::string> columns;
    std::vector<Provider> providers;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Entry> tables_;
  std::map<std::string, std::vector<std::function<void()>>> resets_;
};

}  // namespace gp
