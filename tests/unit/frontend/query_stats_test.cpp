#include "frontend/query_stats.h"

#include <gtest/gtest.h>

#include <thread>

namespace gp::frontend {
namespace {

StatementRecord statement(std::string_view user, std::string_view digest, uint64_t us,
                          int64_t now = 100) {
  StatementRecord r;
  r.hostgroup = 0;
  r.schema = "db";
  r.user = user;
  r.digest_text = digest;
  r.duration_us = us;
  r.rows_sent = 1;
  r.now_s = now;
  return r;
}

TEST(QueryStatsTest, CommandOfADigest) {
  EXPECT_EQ(QueryStats::command_of("SELECT ?"), "SELECT");
  EXPECT_EQ(QueryStats::command_of("select * from t for update"), "SELECT_FOR_UPDATE");
  EXPECT_EQ(QueryStats::command_of("INSERT INTO t VALUES (?)"), "INSERT");
  EXPECT_EQ(QueryStats::command_of("CREATE TABLE t (a INT)"), "CREATE_TABLE");
  EXPECT_EQ(QueryStats::command_of("CREATE TEMPORARY TABLE t (a INT)"), "CREATE_TEMPORARY");
  EXPECT_EQ(QueryStats::command_of("START TRANSACTION"), "START_TRANSACTION");
  EXPECT_EQ(QueryStats::command_of("SHOW TABLE STATUS"), "SHOW_TABLE_STATUS");
  EXPECT_EQ(QueryStats::command_of("SHOW TABLES"), "SHOW");
  EXPECT_EQ(QueryStats::command_of("GENAI: {\"type\": ?}"), "GENAI");
  EXPECT_EQ(QueryStats::command_of("DO ?"), "UNKNOWN");
  EXPECT_EQ(QueryStats::command_of(""), "UNKNOWN");
}

TEST(QueryStatsTest, DigestsSumAcrossThreadsAndReset) {
  QueryStats stats;
  auto work = [&] {
    for (int i = 0; i < 100; ++i) stats.record(statement("app", "SELECT ?", 10 + i), 1000000);
  };
  std::thread a(work);
  std::thread b(work);
  a.join();
  b.join();
  stats.record(statement("other", "SELECT ?", 5, 50), 1000000);
  StatsTable t = stats.digests(false);
  ASSERT_EQ(t.rows.size(), 2u);
  auto& app = t.rows[0][2] == "app" ? t.rows[0] : t.rows[1];
  EXPECT_EQ(app[5], "SELECT ?");
  EXPECT_EQ(app[6], "200");                                          // count_star
  EXPECT_EQ(app[9], std::to_string(2 * (100 * 10 + 99 * 100 / 2)));  // sum_time
  EXPECT_EQ(app[10], "10");                                          // min_time
  EXPECT_EQ(app[11], "109");                                         // max_time
  EXPECT_EQ(app[13], "200");                                         // sum_rows_sent
  EXPECT_EQ(stats.digests(true).rows.size(), 2u);
  EXPECT_TRUE(stats.digests(false).rows.empty());
}

TEST(QueryStatsTest, CommandsHistogramAndSlowQueries) {
  QueryStats stats;
  stats.record(statement("u", "SELECT ?", 50), 1000);                        // cnt_100us
  stats.record(statement("u", "SELECT ?", 700), 1000);                       // cnt_1ms
  stats.record(statement("u", "SELECT ?", 2000000), 1000);                   // cnt_5s, slow
  stats.record(statement("u", "INSERT INTO t VALUES (?)", 20000000), 1000);  // cnt_INFs, slow
  EXPECT_EQ(stats.slow_queries(), 2u);
  StatsTable t = stats.commands(false);
  auto columns = QueryStats::command_columns();
  auto row_of = [&](std::string_view command) {
    for (auto& row : t.rows) {
      if (row[0] == command) return row;
    }
    return std::vector<std::string>{};
  };
  auto at = [&](const std::vector<std::string>& row, std::string_view column) {
    for (size_t i = 0; i < columns.size(); ++i) {
      if (columns[i] == column) return row[i];
    }
    return std::string("?");
  };
  auto select = row_of("SELECT");
  EXPECT_EQ(at(select, "Total_cnt"), "3");
  EXPECT_EQ(at(select, "Total_Time_us"), "2000750");
  EXPECT_EQ(at(select, "cnt_100us"), "1");
  EXPECT_EQ(at(select, "cnt_1ms"), "1");
  EXPECT_EQ(at(select, "cnt_5s"), "1");
  EXPECT_EQ(at(row_of("INSERT"), "cnt_INFs"), "1");
  EXPECT_EQ(at(row_of("UPDATE"), "Total_cnt"), "0");  // every command has its row
}

TEST(QueryStatsTest, ErrorsPerCode) {
  QueryStats stats;
  ErrorRecord e;
  e.hostgroup = 99;
  e.user = "genai";
  e.code = 9001;
  e.message = "first";
  e.now_s = 10;
  stats.record_error(e);
  e.message = "second";
  e.now_s = 20;
  stats.record_error(e);
  auto t = stats.errors(true);
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0][6], "9001");
  EXPECT_EQ(t.rows[0][7], "2");
  EXPECT_EQ(t.rows[0][8], "10");
  EXPECT_EQ(t.rows[0][9], "20");
  EXPECT_EQ(t.rows[0][10], "second");
  EXPECT_TRUE(stats.errors(false).rows.empty());
}

}  // namespace
}  // namespace gp::frontend
