// What client statements add up to, in ProxySQL's stats tables:
// stats_mysql_query_digest (per hostgroup, schema, user and digest),
// stats_mysql_commands_counters (per command, with a latency histogram),
// stats_mysql_errors and the Slow_queries counter.
//
// Thread-safe. A statement is recorded into the shard of the thread that
// ran it (each network thread takes its own shard on first use), so the
// client path takes one uncontended lock per statement and never a global
// one; readers visit every shard.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/metrics.h"

namespace gp::frontend {

struct StatementRecord {
  int hostgroup = 0;  // -1: answered by the proxy itself (GENAI statements)
  std::string_view schema;
  std::string_view user;
  std::string_view digest_text;  // sql::digest_text of the statement
  uint64_t duration_us = 0;
  uint64_t rows_affected = 0;
  uint64_t rows_sent = 0;
  int64_t now_s = 0;  // unix time when it ended
};

struct ErrorRecord {
  int hostgroup = 0;
  std::string_view schema;
  std::string_view user;
  std::string_view client_address;
  int code = 0;
  std::string_view message;
  int64_t now_s = 0;
};

class QueryStats {
 public:
  void record(const StatementRecord& statement, uint64_t long_query_time_us);
  void record_error(const ErrorRecord& error);

  // The tables, in ProxySQL's column order. `reset` empties what was read
  // (the _reset tables).
  static std::vector<std::string> digest_columns();
  StatsTable digests(bool reset);
  static std::vector<std::string> command_columns();
  StatsTable commands(bool reset);
  static std::vector<std::string> error_columns();
  StatsTable errors(bool reset);
  uint64_t slow_queries() const { return slow_queries_.load(std::memory_order_relaxed); }

  // Seconds since the epoch, as first_seen and last_seen hold them.
  static int64_t unix_now();

  // The command of stats_mysql_commands_counters a digest text counts as
  // (SELECT, INSERT, SET, ..., GENAI, UNKNOWN).
  static std::string_view command_of(std::string_view digest_text);

 private:
  struct Digest {
    int hostgroup = 0;
    std::string schema, user, digest_text;
    uint64_t count = 0, sum_time = 0, min_time = 0, max_time = 0;
    uint64_t rows_affected = 0, rows_sent = 0;
    int64_t first_seen = 0, last_seen = 0;
  };
  static constexpr size_t kBuckets = 12;  // 100us, 500us, 1ms, ..., 10s, INF
  struct Command {
    uint64_t total_time_us = 0;
    uint64_t count = 0;
    std::array<uint64_t, kBuckets> buckets{};
  };
  struct ErrorEntry {
    int hostgroup = 0;
    std::string schema, user, client_address, message;
    int code = 0;
    uint64_t count = 0;
    int64_t first_seen = 0, last_seen = 0;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Digest> digests;
    std::unordered_map<std::string_view, Command> commands;
    std::unordered_map<std::string, ErrorEntry> errors;
  };
  static constexpr size_t kShards = 64;

  Shard& local_shard();

  std::array<Shard, kShards> shards_;
  std::atomic<size_t> next_shard_{0};
  std::atomic<uint64_t> slow_queries_{0};
};

}  // namespace gp::frontend
