#include "frontend/local_answers.h"

#include <gtest/gtest.h>

#include "frontend/admin_session.h"

namespace gp::frontend {
namespace {

TEST(NormalizeStatement, CollapsesCaseSpaceAndSemicolon) {
  EXPECT_EQ(normalize_statement("  SELECT\t@@Version_Comment\n LIMIT 1 ; "),
            "select @@version_comment limit 1");
}

TEST(AnswerLocally, VersionCommentNeedsNoBackend) {
  auto r = answer_locally("select @@version_comment limit 1", false);
  ASSERT_TRUE(r);
  auto* rs = std::get_if<mysql::ResultSet>(&*r);
  ASSERT_NE(rs, nullptr);
  ASSERT_EQ(rs->columns.size(), 1u);
  EXPECT_EQ(rs->columns[0].name, "@@version_comment");
  ASSERT_EQ(rs->rows.size(), 1u);
  EXPECT_EQ(rs->rows[0][0].value(), "genaiproxy");
}

TEST(AnswerLocally, SessionSetIsLocalOnlyWithoutBackend) {
  EXPECT_TRUE(answer_locally("SET NAMES utf8mb4", false));
  EXPECT_FALSE(answer_locally("SET NAMES utf8mb4", true));
  EXPECT_FALSE(answer_locally("SELECT 1", false));
  EXPECT_FALSE(answer_locally("SETTINGS", false));
}

TEST(AdminPassword, FindsEachPairOfTheList) {
  EXPECT_EQ(admin_password("admin:admin", "admin").value(), "admin");
  EXPECT_EQ(admin_password("admin:a;radmin:b:c", "radmin").value(), "b:c");
  EXPECT_FALSE(admin_password("admin:admin", "root"));
  EXPECT_FALSE(admin_password("", "admin"));
}

}  // namespace
}  // namespace gp::frontend
