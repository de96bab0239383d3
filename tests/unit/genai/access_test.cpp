#include "genai/access.h"

#include <gtest/gtest.h>

namespace gp::genai {
namespace {

using namespace std::chrono_literals;

const AccessControl::Clock::time_point kNoon{std::chrono::hours(24 * 20000 + 12)};

std::vector<GenaiModelGrant> grants() {
  return {{"alice", "m", 2, 10}, {"bob", "m", 0, 0}};
}

TEST(AccessControl, ModelsWithoutGrantsAreOpen) {
  AccessControl a;
  EXPECT_TRUE(a.admit(grants(), "carol", "other", 100, kNoon).has_value());
}

TEST(AccessControl, OnlyGrantedUsersGetAGrantedModel) {
  AccessControl a;
  auto r = a.admit(grants(), "carol", "m", 1, kNoon);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::kGenaiAccessDenied);
  EXPECT_NE(r.error().message.find("'carol'"), std::string::npos);
  EXPECT_NE(r.error().message.find("'m'"), std::string::npos);
  EXPECT_TRUE(a.admit(grants(), "bob", "m", 1000000, kNoon).has_value());
}

TEST(AccessControl, RequestsPerMinuteResetWithTheMinute) {
  AccessControl a;
  EXPECT_TRUE(a.admit(grants(), "alice", "m", 1, kNoon).has_value());
  EXPECT_TRUE(a.admit(grants(), "alice", "m", 1, kNoon + 10s).has_value());
  auto r = a.admit(grants(), "alice", "m", 1, kNoon + 20s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::kGenaiQuotaExceeded);
  EXPECT_NE(r.error().message.find("max_requests_per_minute=2"), std::string::npos);
  EXPECT_NE(r.error().message.find("retry in 40 s"), std::string::npos) << r.error().message;
  EXPECT_TRUE(a.admit(grants(), "alice", "m", 1, kNoon + 60s).has_value());
}

TEST(AccessControl, DocumentsPerDayAndARefusalCountsNothing) {
  AccessControl a;
  EXPECT_TRUE(a.admit(grants(), "alice", "m", 8, kNoon).has_value());
  auto r = a.admit(grants(), "alice", "m", 3, kNoon + 1min);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("max_documents_per_day=10"), std::string::npos);
  EXPECT_TRUE(a.admit(grants(), "alice", "m", 2, kNoon + 2min).has_value());
  EXPECT_FALSE(a.admit(grants(), "alice", "m", 1, kNoon + 3min).has_value());
  EXPECT_TRUE(a.admit(grants(), "alice", "m", 1, kNoon + 13h).has_value());
}

}  // namespace
}  // namespace gp::genai
