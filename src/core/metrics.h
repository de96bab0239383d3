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
  void register_table(const std::string& name, std::vector<std::string> columns,
                      Provider provider) {
    std::lock_guard lock(mutex_);
    tables_[name] = Entry{std::move(columns), std::move(provider)};
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

  // The current content of a table (empty when unknown).
  StatsTable snapshot(const std::string& name) const {
    Provider p;
    std::vector<std::string> cols;
    {
      std::lock_guard lock(mutex_);
      auto it = tables_.find(name);
      if (it == tables_.end()) return {};
      p = it->second.provider;
      cols = it->second.columns;
    }
    StatsTable t = p ? p() : StatsTable{};
    t.columns = std::move(cols);
    return t;
  }

 private:
  struct Entry {
    std::vector<std::string> columns;
    Provider provider;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Entry> tables_;
};

}  // namespace gp
