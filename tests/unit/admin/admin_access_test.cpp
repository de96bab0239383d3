// What a stats login (admin-stats_credentials) may run on the admin interface.
#include <gtest/gtest.h>

#include "admin_test_support.h"

namespace gp::admin {
namespace {

using namespace gp::admin::testing;

using AdminAccessTest = AdminFixture;

TEST_F(AdminAccessTest, StatsLoginReadsTheStatsSchemaOnly) {
  metrics.register_table("stats_mysql_global", {"Variable_Name", "Variable_Value"}, [] {
    return StatsTable{{}, {{"Questions", "7"}}};
  });
  auto stats = [&](std::string_view sql) { return admin->execute(sql, Access::kStats); };
  auto read = stats("SELECT Variable_Value FROM stats_mysql_global");
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(std::get<mysql::ResultSet>(*read).rows.at(0).at(0), "7");
  ASSERT_TRUE(stats("SELECT * FROM stats.stats_mysql_global").has_value());
  auto tables = stats("SHOW TABLES");
  ASSERT_TRUE(tables.has_value());
  for (auto& row : std::get<mysql::ResultSet>(*tables).rows) {
    EXPECT_TRUE(row.at(0)->starts_with("stats_")) << *row.at(0);
  }
  ASSERT_TRUE(stats("SHOW MYSQL STATUS").has_value());
  ASSERT_TRUE(stats("SELECT VERSION()").has_value());
  ASSERT_TRUE(stats("SET NAMES utf8mb4").has_value());
  for (std::string_view sql :
       {"SELECT * FROM mysql_users", "SELECT * FROM main.global_variables",
        "SELECT * FROM disk.mysql_servers", "SELECT * FROM runtime_global_variables",
        "INSERT INTO stats.stats_mysql_global VALUES ('x', 'y')", "SET genai-threads = 2",
        "LOAD MYSQL USERS TO RUNTIME", "SAVE GENAI VARIABLES TO DISK", "SHOW VARIABLES",
        "SELECT @@genai-threads", "CHECKSUM MYSQL USERS", "SHOW TABLES FROM main",
        "SHOW CREATE TABLE mysql_users", "SHOW FIELDS FROM main.mysql_users",
        "TRUNCATE stats_mysql_global", "PROXYSQL PAUSE", "SAVE CONFIG TO FILE /tmp/x",
        "PRAGMA table_info(mysql_users)"}) {
    auto r = stats(sql);
    ASSERT_FALSE(r.has_value()) << sql;
    EXPECT_EQ(r.error().code, 1142) << sql << ": " << r.error().message;
    EXPECT_NE(r.error().message.find("stats"), std::string::npos) << r.error().message;
  }
  // The admin login is not affected by what ran before.
  auto users = admin->execute("SELECT count(*) FROM mysql_users");
  ASSERT_TRUE(users.has_value()) << users.error().message;
}

}  // namespace
}  // namespace gp::admin
