#include "jobs/job_progress.h"

#include <gtest/gtest.h>

namespace gp::jobs {
namespace {

TEST(JobProgress, CountsRowsAndShowsTheirStateInTheStatsTable) {
  std::map<int64_t, std::shared_ptr<JobProgress>> jobs;
  auto p = std::make_shared<JobProgress>(3);
  jobs[3] = p;
  p->resumed(10, 1, 1700000000);
  p->set_total(100);
  p->add(20, 2, "42");
  auto t = jobs_table(jobs);
  ASSERT_EQ(t.rows.size(), 1u);
  auto& row = t.rows[0];
  ASSERT_EQ(row.size(), jobs_columns().size());
  EXPECT_EQ(row[0], "3");
  EXPECT_EQ(row[1], "running");
  EXPECT_EQ(row[2], "100");
  EXPECT_EQ(row[3], "30");
  EXPECT_EQ(row[4], "3");
  EXPECT_EQ(row[7], "42");
  EXPECT_EQ(row[9], "1700000000");
  p->set_state(JobState::kDone);
  EXPECT_EQ(jobs_table(jobs).rows[0][1], "done");
  EXPECT_EQ(jobs_table(jobs).rows[0][6], "0");
  p->set_error("genai job 3: denied", true);
  EXPECT_EQ(jobs_table(jobs).rows[0][1], "failed");
  EXPECT_EQ(jobs_table(jobs).rows[0][8], "genai job 3: denied");
}

TEST(JobProgress, TheTotalIsNeverBelowWhatWasDone) {
  JobProgress p(1);
  p.set_total(5);
  p.add(8, 0, "8");
  EXPECT_EQ(p.row().rows_total, 8);
}

TEST(JobErrors, KeepsTheMostRecentRowsOfEachJob) {
  JobErrors errors;
  for (size_t i = 0; i < JobErrors::kKept + 5; ++i) {
    errors.add({1, std::to_string(i), 9111, "too long", 1});
  }
  errors.add({2, "a", 9105, "zeros", 2});
  auto t = errors.table();
  ASSERT_EQ(t.rows.size(), JobErrors::kKept + 1);
  EXPECT_EQ(t.rows[0][1], "5");
  EXPECT_EQ(t.rows.back()[0], "2");
  EXPECT_EQ(t.rows.back()[2], "9105");
  errors.forget(1);
  EXPECT_EQ(errors.table().rows.size(), 1u);
}

}  // namespace
}  // namespace gp::jobs
