#include "frontend/query_stats.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <limits>
#include <map>

#include "sql/sql.h"

namespace gp::frontend {

namespace {

// ProxySQL's command names, in its order; GENAI counts the statements the
// proxy answers itself.
constexpr std::string_view kCommands[] = {
    "ALTER_TABLE",
    "ALTER_VIEW",
    "ANALYZE_TABLE",
    "BEGIN",
    "CALL",
    "CHANGE_MASTER",
    "COMMIT",
    "CREATE_DATABASE",
    "CREATE_INDEX",
    "CREATE_TABLE",
    "CREATE_TEMPORARY",
    "CREATE_TRIGGER",
    "CREATE_USER",
    "CREATE_VIEW",
    "DEALLOCATE",
    "DELETE",
    "DESCRIBE",
    "DROP_DATABASE",
    "DROP_INDEX",
    "DROP_TABLE",
    "DROP_TRIGGER",
    "DROP_USER",
    "DROP_VIEW",
    "GRANT",
    "EXECUTE",
    "EXPLAIN",
    "FLUSH",
    "INSERT",
    "KILL",
    "LOAD",
    "LOCK_TABLE",
    "OPTIMIZE",
    "PREPARE",
    "PURGE",
    "RENAME_TABLE",
    "RESET_MASTER",
    "RESET_SLAVE",
    "REPLACE",
    "REVOKE",
    "ROLLBACK",
    "SAVEPOINT",
    "SELECT",
    "SELECT_FOR_UPDATE",
    "SET",
    "SHOW_TABLE_STATUS",
    "START_TRANSACTION",
    "TRUNCATE_TABLE",
    "UNLOCK_TABLES",
    "UPDATE",
    "USE",
    "SHOW",
    "GENAI",
    "UNKNOWN",
};

constexpr uint64_t kBucketLimitsUs[] = {100,    500,    1000,    5000,    10000,   50000,
                                        100000, 500000, 1000000, 5000000, 10000000};
constexpr std::string_view kBucketNames[] = {"cnt_100us", "cnt_500us", "cnt_1ms",   "cnt_5ms",
                                             "cnt_10ms",  "cnt_50ms",  "cnt_100ms", "cnt_500ms",
                                             "cnt_1s",    "cnt_5s",    "cnt_10s",   "cnt_INFs"};

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The first `n` words of a digest text, upper case.
std::vector<std::string> first_words(std::string_view text, size_t n) {
  std::vector<std::string> words;
  size_t i = 0;
  while (words.size() < n && i < text.size()) {
    while (i < text.size() && !std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_')) {
      ++i;
    }
    if (i > start) words.push_back(upper(text.substr(start, i - start)));
  }
  return words;
}

std::string key_of(int hostgroup, std::string_view a, std::string_view b, std::string_view c) {
  std::string key = std::to_string(hostgroup);
  for (auto part : {a, b, c}) {
    key.push_back('\0');
    key.append(part);
  }
  return key;
}

}  // namespace

std::string_view QueryStats::command_of(std::string_view digest_text) {
  auto w = first_words(digest_text, 2);
  if (w.empty()) return "UNKNOWN";
  const std::string& first = w[0];
  const std::string second = w.size() > 1 ? w[1] : std::string();
  if (first == "GENAI") return "GENAI";
  if (first == "SELECT") {
    return upper(digest_text).ends_with("FOR UPDATE") ? "SELECT_FOR_UPDATE" : "SELECT";
  }
  if (first == "START" && second == "TRANSACTION") return "START_TRANSACTION";
  if (first == "SHOW" && second == "TABLE") return "SHOW_TABLE_STATUS";
  if (first == "CREATE" && second == "TEMPORARY") return "CREATE_TEMPORARY";
  if (first == "LOCK") return "LOCK_TABLE";
  if (first == "UNLOCK") return "UNLOCK_TABLES";
  if (first == "DESC") return "DESCRIBE";
  if (first == "TRUNCATE") return "TRUNCATE_TABLE";
  if (first == "RENAME") return "RENAME_TABLE";
  if (first == "ANALYZE") return "ANALYZE_TABLE";
  if (first == "OPTIMIZE") return "OPTIMIZE";
  std::string two = first + "_" + second;
  for (auto c : kCommands) {
    if (c == two) return c;
  }
  for (auto c : kCommands) {
    if (c == first) return c;
  }
  return "UNKNOWN";
}

int64_t QueryStats::unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

QueryStats::Shard& QueryStats::local_shard() {
  thread_local size_t index = std::numeric_limits<size_t>::max();
  if (index == std::numeric_limits<size_t>::max()) {
    index = next_shard_.fetch_add(1, std::memory_order_relaxed) % kShards;
  }
  return shards_[index];
}

void QueryStats::record(const StatementRecord& s, uint64_t long_query_time_us) {
  if (s.duration_us > long_query_time_us) slow_queries_.fetch_add(1, std::memory_order_relaxed);
  std::string_view command = command_of(s.digest_text);
  size_t bucket = 0;
  while (bucket < std::size(kBucketLimitsUs) && s.duration_us > kBucketLimitsUs[bucket]) ++bucket;
  Shard& shard = local_shard();
  std::lock_guard lock(shard.mutex);
  auto [it, added] =
      shard.digests.try_emplace(key_of(s.hostgroup, s.schema, s.user, s.digest_text));
  Digest& d = it->second;
  if (added) {
    d.hostgroup = s.hostgroup;
    d.schema = s.schema;
    d.user = s.user;
    d.digest_text = s.digest_text;
    d.first_seen = s.now_s;
    d.min_time = s.duration_us;
  }
  d.count += 1;
  d.sum_time += s.duration_us;
  d.min_time = std::min(d.min_time, s.duration_us);
  d.max_time = std::max(d.max_time, s.duration_us);
  d.rows_affected += s.rows_affected;
  d.rows_sent += s.rows_sent;
  d.last_seen = s.now_s;
  Command& c = shard.commands[command];
  c.total_time_us += s.duration_us;
  c.count += 1;
  c.buckets[bucket] += 1;
}

void QueryStats::record_error(const ErrorRecord& e) {
  Shard& shard = local_shard();
  std::lock_guard lock(shard.mutex);
  auto [it, added] = shard.errors.try_emplace(
      key_of(e.hostgroup, e.schema, e.user,
             std::to_string(e.code) + std::string(1, '\0') + std::string(e.client_address)));
  ErrorEntry& entry = it->second;
  if (added) {
    entry.hostgroup = e.hostgroup;
    entry.schema = e.schema;
    entry.user = e.user;
    entry.client_address = e.client_address;
    entry.code = e.code;
    entry.first_seen = e.now_s;
  }
  entry.count += 1;
  entry.last_seen = e.now_s;
  entry.message = e.message;
}

std::vector<std::string> QueryStats::digest_columns() {
  return {"hostgroup",   "schemaname", "username",          "client_address", "digest",
          "digest_text", "count_star", "first_seen",        "last_seen",      "sum_time",
          "min_time",    "max_time",   "sum_rows_affected", "sum_rows_sent"};
}

StatsTable QueryStats::digests(bool reset) {
  // The same statement run on several threads sits in several shards.
  std::map<std::string, Digest> merged;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (auto& [key, d] : shard.digests) {
      auto [it, added] = merged.try_emplace(key, d);
      if (added) continue;
      Digest& m = it->second;
      m.count += d.count;
      m.sum_time += d.sum_time;
      m.min_time = std::min(m.min_time, d.min_time);
      m.max_time = std::max(m.max_time, d.max_time);
      m.rows_affected += d.rows_affected;
      m.rows_sent += d.rows_sent;
      m.first_seen = std::min(m.first_seen, d.first_seen);
      m.last_seen = std::max(m.last_seen, d.last_seen);
    }
    if (reset) shard.digests.clear();
  }
  StatsTable t;
  t.columns = digest_columns();
  for (auto& [key, d] : merged) {
    t.rows.push_back({std::to_string(d.hostgroup), d.schema, d.user, std::string(),
                      sql::digest_hash(d.digest_text), d.digest_text, std::to_string(d.count),
                      std::to_string(d.first_seen), std::to_string(d.last_seen),
                      std::to_string(d.sum_time), std::to_string(d.min_time),
                      std::to_string(d.max_time), std::to_string(d.rows_affected),
                      std::to_string(d.rows_sent)});
  }
  return t;
}

std::vector<std::string> QueryStats::command_columns() {
  std::vector<std::string> columns = {"Command", "Total_Time_us", "Total_cnt"};
  for (auto name : kBucketNames) columns.emplace_back(name);
  return columns;
}

StatsTable QueryStats::commands(bool reset) {
  std::map<std::string_view, Command> merged;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (auto& [name, c] : shard.commands) {
      Command& m = merged[name];
      m.total_time_us += c.total_time_us;
      m.count += c.count;
      for (size_t i = 0; i < kBuckets; ++i) m.buckets[i] += c.buckets[i];
    }
    if (reset) shard.commands.clear();
  }
  StatsTable t;
  t.columns = command_columns();
  // Every command has its row, as in ProxySQL, also before it is first seen.
  for (auto name : kCommands) {
    const Command& c = merged[name];
    std::vector<std::string> row = {std::string(name), std::to_string(c.total_time_us),
                                    std::to_string(c.count)};
    for (size_t i = 0; i < std::size(kBucketNames); ++i)
      row.push_back(std::to_string(c.buckets[i]));
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::vector<std::string> QueryStats::error_columns() {
  return {"hostgroup", "hostname",   "port",       "username",  "client_address", "schemaname",
          "errno",     "count_star", "first_seen", "last_seen", "last_error"};
}

StatsTable QueryStats::errors(bool reset) {
  std::map<std::string, ErrorEntry> merged;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (auto& [key, e] : shard.errors) {
      auto [it, added] = merged.try_emplace(key, e);
      if (added) continue;
      it->second.count += e.count;
      it->second.first_seen = std::min(it->second.first_seen, e.first_seen);
      if (e.last_seen >= it->second.last_seen) {
        it->second.last_seen = e.last_seen;
        it->second.message = e.message;
      }
    }
    if (reset) shard.errors.clear();
  }
  StatsTable t;
  t.columns = error_columns();
  for (auto& [key, e] : merged) {
    t.rows.push_back({std::to_string(e.hostgroup), std::string(), "0", e.user, e.client_address,
                      e.schema, std::to_string(e.code), std::to_string(e.count),
                      std::to_string(e.first_seen), std::to_string(e.last_seen), e.message});
  }
  return t;
}

}  // namespace gp::frontend
