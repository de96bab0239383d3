#include "jobs/job_sql.h"

#include <gtest/gtest.h>

namespace gp::jobs {
namespace {

GenaiJob backfill_job() {
  GenaiJob j;
  j.job_id = 1;
  j.table_name = "shop.docs";
  j.key_column = "id";
  j.text_expression = "CONCAT(title, ' ', body)";
  j.target_column = "embedding";
  return j;
}

GenaiJob sync_job() {
  GenaiJob j = backfill_job();
  j.mode = "sync";
  j.change_column = "updated_at";
  return j;
}

TEST(JobSql, ValuesAreWrittenBackAsTheyWereRead) {
  EXPECT_EQ(sql_value("42", mysql::ColumnType::kLongLong).literal(), "42");
  EXPECT_EQ(sql_value("-3.5", mysql::ColumnType::kNewDecimal).literal(), "-3.5");
  // Text travels in hex: no quote, backslash or sql_mode can change it.
  EXPECT_EQ(sql_value("a'b\\", mysql::ColumnType::kVarString).literal(), "_utf8mb4 X'6127625c'");
  // A number column that does not hold a number is kept as text.
  EXPECT_EQ(sql_value("1e5", mysql::ColumnType::kLong).literal(), "_utf8mb4 X'316535'");
  EXPECT_EQ(sql_value("2026-12-01 10:00:00", mysql::ColumnType::kDateTime).number, false);
}

TEST(JobSql, NamesAreQuoted) {
  EXPECT_EQ(quote_name("id"), "`id`");
  EXPECT_EQ(quote_name("`odd name`"), "`odd name`");
  EXPECT_EQ(quote_table("shop.docs"), "`shop`.`docs`");
  EXPECT_EQ(quote_table("`my.db`.t"), "`my.db`.`t`");
}

TEST(JobSql, BackfillPagesAreKeysetPagesOfRowsWithoutAVector) {
  auto j = backfill_job();
  EXPECT_EQ(page_query(j, Phase::kBackfill, {}, 128),
            "SELECT `id`, (CONCAT(title, ' ', body)), MD5(CONVERT((CONCAT(title, ' ', body)) "
            "USING utf8mb4)) FROM `shop`.`docs` WHERE `embedding` IS NULL ORDER BY `id` LIMIT 128");
  Position after;
  after.key = SqlValue{"500", true};
  j.filter = "lang = 'en'";
  std::string q = page_query(j, Phase::kBackfill, after, 64);
  EXPECT_NE(q.find("WHERE `embedding` IS NULL AND `id` > 500 AND (lang = 'en') ORDER BY `id` "
                   "LIMIT 64"),
            std::string::npos)
      << q;
  EXPECT_EQ(q.find("OFFSET"), std::string::npos);
}

TEST(JobSql, ASyncJobsBackfillStopsAtTheWatermarkItsPassesStartFrom) {
  auto j = sync_job();
  Position p;
  p.until = SqlValue{"2026-12-01 10:00:00", false};
  std::string backfill = page_query(j, Phase::kBackfill, p, 10);
  EXPECT_NE(backfill.find(", `updated_at` FROM"), std::string::npos) << backfill;
  EXPECT_NE(backfill.find("AND (`updated_at` <= _utf8mb4 X'"), std::string::npos) << backfill;
  EXPECT_NE(backfill.find("OR `updated_at` IS NULL)"), std::string::npos) << backfill;

  Position pass;
  pass.change = p.until;
  std::string first = page_query(j, Phase::kSync, pass, 10);
  EXPECT_NE(first.find("WHERE `updated_at` > _utf8mb4 X'"), std::string::npos) << first;
  EXPECT_NE(first.find("ORDER BY `updated_at`, `id` LIMIT 10"), std::string::npos) << first;
  pass.key = SqlValue{"7", true};
  std::string next = page_query(j, Phase::kSync, pass, 10);
  EXPECT_NE(next.find("OR (`updated_at` = _utf8mb4 X'"), std::string::npos) << next;
  EXPECT_NE(next.find("AND `id` > 7))"), std::string::npos) << next;
  // The target is not a condition of a pass: a changed row has one already.
  EXPECT_EQ(next.find("IS NULL"), std::string::npos) << next;
}

TEST(JobSql, BackfillWritesAreGuardedByTheTextThatWasEmbedded) {
  auto j = backfill_job();
  std::vector<RowWrite> rows = {{SqlValue{"1", true}, "[0.5,1]", "aaa", std::nullopt},
                                {SqlValue{"2", true}, "[1,0]", "bbb", std::nullopt}};
  EXPECT_EQ(write_statement(j, rows),
            "UPDATE `shop`.`docs` SET `embedding` = CASE `id` WHEN 1 THEN '[0.5,1]' WHEN 2 THEN "
            "'[1,0]' END WHERE `id` IN (1, 2) AND `embedding` IS NULL AND MD5(CONVERT((CONCAT("
            "title, ' ', body)) USING utf8mb4)) = CASE `id` WHEN 1 THEN 'aaa' WHEN 2 THEN 'bbb' "
            "END");
}

TEST(JobSql, SyncWritesAreGuardedByTheChangeValueThatWasRead) {
  auto j = sync_job();
  j.target_format = "vec_fromtext";
  std::vector<RowWrite> rows = {
      {SqlValue{"1", true}, "[0.5,1]", "aaa", SqlValue{"2026-12-01 10:00:00.000001", false}},
      {SqlValue{"2", true}, std::nullopt, "", SqlValue{"2026-12-01 10:00:01", false}}};
  std::string w = write_statement(j, rows);
  EXPECT_NE(w.find("SET `embedding` = VEC_FromText(CASE `id` WHEN 1 THEN '[0.5,1]' WHEN 2 THEN "
                   "NULL END)"),
            std::string::npos)
      << w;
  EXPECT_NE(w.find("WHERE `id` IN (1, 2) AND `updated_at` <=> CASE `id` WHEN 1 THEN _utf8mb4 X'"),
            std::string::npos)
      << w;
  EXPECT_EQ(w.find("IS NULL"), std::string::npos) << w;
}

TEST(JobSql, TargetFormats) {
  auto j = backfill_job();
  j.target_format = "binary";
  std::string bytes("\x00\x00\x80\x3f", 4);
  std::string w = write_statement(j, {{SqlValue{"1", true}, bytes, "h", std::nullopt}});
  EXPECT_NE(w.find("SET `embedding` = CASE `id` WHEN 1 THEN X'0000803f' END WHERE"),
            std::string::npos)
      << w;
  j.target_format = "string_to_vector";
  w = write_statement(j, {{SqlValue{"1", true}, "[1]", "h", std::nullopt}});
  EXPECT_NE(w.find("= STRING_TO_VECTOR(CASE `id` WHEN 1 THEN '[1]' END)"), std::string::npos) << w;
}

TEST(JobSql, RecheckCountAndWatermarkQueries) {
  auto j = backfill_job();
  EXPECT_EQ(recheck_query(j, {SqlValue{"3", true}, SqlValue{"x", false}}),
            "SELECT `id`, (CONCAT(title, ' ', body)), MD5(CONVERT((CONCAT(title, ' ', body)) "
            "USING utf8mb4)) FROM `shop`.`docs` WHERE `id` IN (3, _utf8mb4 X'78') AND "
            "`embedding` IS NULL ORDER BY `id`");
  EXPECT_EQ(count_query(j), "SELECT COUNT(*) FROM `shop`.`docs` WHERE `embedding` IS NULL");
  EXPECT_EQ(max_change_query(sync_job()), "SELECT MAX(`updated_at`) FROM `shop`.`docs`");
}

}  // namespace
}  // namespace gp::jobs
