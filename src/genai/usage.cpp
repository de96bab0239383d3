#include "genai/usage.h"

#include <array>

#include "sql/sql.h"

namespace gp::genai {

const std::vector<std::string>& UsageStats::columns() {
  static const std::vector<std::string> c = {"username",
                                             "model",
                                             "digest",
                                             "digest_text",
                                             "statements",
                                             "documents",
                                             "cache_hits",
                                             "errors",
                                             "upstream_tokens",
                                             "sum_upstream_time_us",
                                             "max_upstream_time_us",
                                             "first_seen",
                                             "last_seen"};
  return c;
}

void UsageStats::record(const UsageSample& s) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auto us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(s.upstream_time).count());
  std::string digest = sql::digest_hash(s.digest_text);
  std::lock_guard lock(mutex_);
  // The implicit model of the genai-* variables has no name of its own.
  Row& r = rows_[{s.username, s.model.empty() ? std::string("default") : s.model, digest}];
  if (r.statements == 0) {
    r.digest_text = s.digest_text;
    r.first_seen = now;
  }
  r.last_seen = now;
  ++r.statements;
  r.documents += s.documents;
  r.cache_hits += s.cache_hits;
  r.errors += s.error ? 1 : 0;
  r.tokens += s.upstream_tokens;
  r.time_us += us;
  r.max_time_us = std::max(r.max_time_us, us);
}

StatsTable UsageStats::by_model() {
  StatsTable t;
  t.columns = {"model",  "statements",      "documents",           "cache_hits",
               "errors", "upstream_tokens", "sum_upstream_time_us"};
  std::map<std::string, std::array<uint64_t, 6>> sums;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, r] : rows_) {
      auto& s = sums[std::get<1>(key)];
      s[0] += r.statements;
      s[1] += r.documents;
      s[2] += r.cache_hits;
      s[3] += r.errors;
      s[4] += r.tokens;
      s[5] += r.time_us;
    }
  }
  for (const auto& [model, s] : sums) {
    std::vector<std::string> row{model};
    for (uint64_t v : s) row.push_back(std::to_string(v));
    t.rows.push_back(std::move(row));
  }
  return t;
}

StatsTable UsageStats::table(bool reset) {
  StatsTable t;
  t.columns = columns();
  std::lock_guard lock(mutex_);
  for (const auto& [key, r] : rows_) {
    const auto& [user, model, digest] = key;
    t.rows.push_back({user, model, digest, r.digest_text, std::to_string(r.statements),
                      std::to_string(r.documents), std::to_string(r.cache_hits),
                      std::to_string(r.errors), std::to_string(r.tokens), std::to_string(r.time_us),
                      std::to_string(r.max_time_us), std::to_string(r.first_seen),
                      std::to_string(r.last_seen)});
  }
  if (reset) rows_.clear();
  return t;
}

}  // namespace gp::genai
