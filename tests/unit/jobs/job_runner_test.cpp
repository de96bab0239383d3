#include "jobs/job_runner.h"

#include <gtest/gtest.h>

namespace gp::jobs {
namespace {

Error service(errc::Code code, std::string message) {
  return Error::make(code, std::move(message));
}

TEST(JobRunner, AServiceThatIsUnwellPausesTheJobARefusedRowIsSkipped) {
  EXPECT_EQ(classify_service_error(service(errc::kGenaiServiceUnreachable, "down")),
            Failure::kTryLater);
  EXPECT_EQ(classify_service_error(service(errc::kGenaiServiceTimeout, "slow")),
            Failure::kTryLater);
  EXPECT_EQ(classify_service_error(service(errc::kGenaiQuotaExceeded, "later")),
            Failure::kTryLater);
  EXPECT_EQ(classify_service_error(service(
                errc::kGenaiServiceError,
                "GENAI: embedding service http://h/embedding answered HTTP 503: Loading model")),
            Failure::kTryLater);
  EXPECT_EQ(classify_service_error(
                service(errc::kGenaiServiceError,
                        "GENAI: embedding service http://h/embedding answered HTTP 429")),
            Failure::kTryLater);
  EXPECT_EQ(classify_service_error(
                service(errc::kGenaiServiceError,
                        "GENAI: embedding service http://h/embedding answered HTTP 400: bad")),
            Failure::kRow);
  EXPECT_EQ(classify_service_error(service(errc::kGenaiInputTooLong, "too long")), Failure::kRow);
  EXPECT_EQ(classify_service_error(service(errc::kGenaiInvalidAnswer, "zeros")), Failure::kRow);
  EXPECT_EQ(classify_service_error(service(errc::kGenaiAccessDenied, "no grant")), Failure::kJob);
  EXPECT_EQ(classify_service_error(service(errc::kGenaiInvalidRequest, "GENAI: unknown model 'x'")),
            Failure::kJob);
}

TEST(JobRunner, ABackendThatIsAwayPausesAPrivilegeErrorFailsTheJob) {
  Error lost = Error::make(errc::kBackendLost, "lost");
  EXPECT_EQ(classify_backend_error(lost), Failure::kTryLater);
  Error denied;
  denied.code = 1142;
  denied.sqlstate = "42000";
  denied.message = "UPDATE command denied to user 'reader'@'localhost' for table 'docs'";
  EXPECT_EQ(classify_backend_error(denied), Failure::kJob);
  Error deadlock;
  deadlock.code = 1213;
  EXPECT_EQ(classify_backend_error(deadlock), Failure::kTryLater);
}

TEST(JobRunner, ProgressSurvivesItsTextForm) {
  Progress p;
  p.phase = Phase::kSync;
  p.position.key = SqlValue{"k'1", false};
  p.position.change = SqlValue{"2026-12-01 10:00:00.5", false};
  p.position.until = SqlValue{"17", true};
  auto back = decode_progress(encode_progress(p));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->phase, Phase::kSync);
  EXPECT_FALSE(back->done);
  EXPECT_EQ(back->position.key, p.position.key);
  EXPECT_EQ(back->position.change, p.position.change);
  EXPECT_EQ(back->position.until, p.position.until);
  EXPECT_FALSE(decode_progress("not json"));
  Progress empty;
  auto fresh = decode_progress(encode_progress(empty));
  ASSERT_TRUE(fresh);
  EXPECT_FALSE(fresh->position.key);
}

TEST(JobRunner, ASignatureChangesWithWhatTheProgressMeans) {
  GenaiJob a;
  a.table_name = "s.t";
  a.text_expression = "body";
  GenaiJob b = a;
  b.batch_size = 7;  // how, not what: the checkpoint still holds
  EXPECT_EQ(job_signature(a), job_signature(b));
  b.text_expression = "title";
  EXPECT_NE(job_signature(a), job_signature(b));
}

}  // namespace
}  // namespace gp::jobs
