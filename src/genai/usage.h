// Usage accounting (SPEC-MODELS §3): stats_genai_usage, per MySQL user,
// model and statement digest. Thread-safe; per proxy instance.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "core/metrics.h"

namespace gp::genai {

struct UsageSample {
  std::string username;
  std::string model;
  std::string digest_text;
  uint64_t documents = 0;  // sent upstream or answered from the cache
  uint64_t cache_hits = 0;
  bool error = false;
  uint64_t upstream_tokens = 0;  // when the service reports usage
  std::chrono::nanoseconds upstream_time{0};
};

class UsageStats {
 public:
  void record(const UsageSample& sample);
  // The table; with `reset`, its rows are removed as they are read
  // (stats_genai_usage_reset).
  StatsTable table(bool reset);
  static const std::vector<std::string>& columns();
  // The same counters summed per model (stats_genai_models): what Prometheus
  // exports, without user or digest labels.
  StatsTable by_model();

 private:
  struct Row {
    std::string digest_text;
    uint64_t statements = 0, documents = 0, cache_hits = 0, errors = 0, tokens = 0;
    uint64_t time_us = 0, max_time_us = 0;
    int64_t first_seen = 0, last_seen = 0;  // unix seconds
  };
  std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, std::string>, Row> rows_;  // user, model, digest
};

}  // namespace gp::genai
