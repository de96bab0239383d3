// The statements ProxySQL's tools send besides the configuration verbs.
#include <gtest/gtest.h>

#include "admin/statement.h"

namespace gp::admin {
namespace {

template <class T>
T parse_as(std::string_view sql) {
  auto r = parse_statement(sql);
  EXPECT_TRUE(r.has_value()) << sql << ": " << (r ? "" : r.error().message);
  if (!r) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(*r)) << sql << " parsed as index " << r->index();
  return std::holds_alternative<T>(*r) ? std::get<T>(*r) : T{};
}

TEST(OperatorStatementTest, ShowTablesLikeAndFrom) {
  auto s = parse_as<ShowTables>("SHOW TABLES LIKE 'mysql_%'");
  EXPECT_FALSE(s.schema.has_value());
  EXPECT_EQ(s.like, "mysql_%");
  s = parse_as<ShowTables>("show tables from stats like \"stats_mysql%\";");
  EXPECT_EQ(s.schema, "stats");
  EXPECT_EQ(s.like, "stats_mysql%");
  s = parse_as<ShowTables>("SHOW TABLES IN disk");
  EXPECT_EQ(s.schema, "disk");
  EXPECT_FALSE(s.like.has_value());
  EXPECT_FALSE(parse_statement("SHOW TABLES LIKE").has_value());
  EXPECT_FALSE(parse_statement("SHOW TABLES FROM").has_value());
}

TEST(OperatorStatementTest, ShowFieldsTableStatusProcesslistStatus) {
  EXPECT_EQ(parse_as<ShowFields>("SHOW FIELDS FROM mysql_servers").table, "mysql_servers");
  EXPECT_EQ(parse_as<ShowFields>("show columns in stats.stats_mysql_global").table,
            "stats.stats_mysql_global");
  auto status = parse_as<ShowTableStatus>("SHOW TABLE STATUS FROM main LIKE 'mysql_users'");
  EXPECT_EQ(status.schema, "main");
  EXPECT_EQ(status.like, "mysql_users");
  EXPECT_FALSE(parse_as<ShowProcesslist>("SHOW PROCESSLIST").full);
  EXPECT_TRUE(parse_as<ShowProcesslist>("show full processlist").full);
  parse_as<ShowMysqlStatus>("SHOW MYSQL STATUS");
}

TEST(OperatorStatementTest, ProxysqlVerbs) {
  parse_as<FlushLogs>("PROXYSQL FLUSH LOGS");
  EXPECT_TRUE(parse_as<PauseListeners>("proxysql pause").pause);
  EXPECT_FALSE(parse_as<PauseListeners>("PROXYSQL RESUME;").pause);
  EXPECT_EQ(parse_as<SaveConfigToFile>("SAVE CONFIG TO FILE /tmp/x.cnf").path, "/tmp/x.cnf");
  EXPECT_EQ(parse_as<SaveConfigToFile>("SAVE CONFIG TO FILE '/tmp/a b.cnf'").path, "/tmp/a b.cnf");
}

TEST(OperatorStatementTest, TruncateOfStatsTablesOnly) {
  EXPECT_EQ(parse_as<TruncateStats>("TRUNCATE TABLE stats.stats_mysql_query_digest").table,
            "stats_mysql_query_digest");
  EXPECT_EQ(parse_as<TruncateStats>("truncate stats_mysql_errors_reset").table,
            "stats_mysql_errors_reset");
  // Anything else is SQLite's (which has no TRUNCATE: an error there).
  parse_as<PlainSql>("TRUNCATE TABLE mysql_users");
  parse_as<PlainSql>("TRUNCATE TABLE main.stats_x");
}

TEST(OperatorStatementTest, ProxysqlModulesGenaiproxyLacksAreNotSupported) {
  for (std::string_view sql :
       {"LOAD MYSQL QUERY RULES TO RUNTIME", "SAVE MYSQL QUERY RULES TO DISK",
        "LOAD SCHEDULER TO RUNTIME", "SAVE PROXYSQL SERVERS TO DISK"}) {
    auto r = parse_statement(sql);
    ASSERT_FALSE(r.has_value()) << sql;
    EXPECT_EQ(r.error().code, 1235) << sql;
    EXPECT_NE(r.error().message.find("not supported by genaiproxy"), std::string::npos);
  }
}

}  // namespace
}  // namespace gp::admin
