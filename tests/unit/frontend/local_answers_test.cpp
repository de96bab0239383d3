#include "frontend/local_answers.h"

#include <gtest/gtest.h>

#include "frontend/admin_session.h"

namespace gp::frontend {
namespace {

struct Session {
  sql::SessionVariables variables = sql::SessionVariables::defaults(
      session_defaults("10.11.6-MariaDB-genaiproxy", 45, 1024, 6033));
  sql::SessionInfo info{"app", "127.0.0.1", "", 7};

  Result<std::optional<sql::LocalAnswer>> answer(std::string_view sql, bool has_backend) {
    return answer_locally(sql, has_backend, variables, info);
  }
};

const mysql::ResultSet& rows_of(const sql::LocalAnswer& answer) {
  return std::get<mysql::ResultSet>(answer.result);
}

TEST(AnswerLocally, BannerQueryNeedsNoBackend) {
  Session s;
  for (bool backend : {false, true}) {
    auto r = s.answer("  SELECT\t@@Version_Comment\n LIMIT 1 ; ", backend);
    ASSERT_TRUE(r && *r);
    const auto& rs = rows_of(**r);
    ASSERT_EQ(rs.columns.size(), 1u);
    EXPECT_EQ(rs.columns[0].name, "@@Version_Comment");
    ASSERT_EQ(rs.rows.size(), 1u);
    EXPECT_EQ(rs.rows[0][0].value(), "genaiproxy");
  }
}

TEST(AnswerLocally, ConnectQueriesOnlyWithoutBackend) {
  Session s;
  auto r = s.answer("SELECT @@max_allowed_packet, VERSION(), CONNECTION_ID()", false);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(rows_of(**r).rows[0], (mysql::Row{"1024", "10.11.6-MariaDB-genaiproxy", "7"}));
  EXPECT_FALSE(*s.answer("SELECT @@max_allowed_packet", true));
  EXPECT_FALSE(*s.answer("SET NAMES utf8mb4", true));
  EXPECT_TRUE(*s.answer("SET NAMES utf8mb4", false));
  EXPECT_FALSE(*s.answer("SELECT 1 FROM t", false));
}

TEST(AnswerLocally, AutocommitAndTransactions) {
  Session s;
  auto off = s.answer("SET autocommit = 0", false);
  ASSERT_TRUE(off && *off);
  EXPECT_TRUE((*off)->autocommit_changed);
  EXPECT_EQ(s.variables.values["autocommit"], "OFF");
  auto begin = s.answer("START TRANSACTION", false);
  ASSERT_TRUE(begin && *begin);
  EXPECT_EQ((*begin)->transaction, sql::LocalAnswer::Transaction::kBegin);
  auto rollback = s.answer("rollback", false);
  ASSERT_TRUE(rollback && *rollback);
  EXPECT_EQ((*rollback)->transaction, sql::LocalAnswer::Transaction::kRollback);
  auto bad = s.answer("SELECT @@no_such_variable", false);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::kUnknownSystemVariable);
}

TEST(AdminPassword, FindsEachPairOfTheList) {
  EXPECT_EQ(admin_password("admin:admin", "admin").value(), "admin");
  EXPECT_EQ(admin_password("admin:a;radmin:b:c", "radmin").value(), "b:c");
  EXPECT_FALSE(admin_password("admin:admin", "root"));
  EXPECT_FALSE(admin_password("", "admin"));
}

}  // namespace
}  // namespace gp::frontend
