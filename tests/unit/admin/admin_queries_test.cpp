// SHOW, SELECT @@, CHECKSUM, secrets, stats tables and result typing.
#include <gtest/gtest.h>

#include <atomic>

#include "admin_test_support.h"

namespace gp::admin {
namespace {

using namespace gp::admin::testing;

using AdminQueriesTest = AdminFixture;

bool has_row(const Rows& rows, const std::vector<std::string>& row) {
  return std::find(rows.begin(), rows.end(), row) != rows.end();
}

TEST_F(AdminQueriesTest, ShowVariablesLikeAndSelectAt) {
  auto all = rows(*admin, "SHOW VARIABLES");
  EXPECT_GE(all.size(), 30u);
  auto genai = result_set(*admin, "SHOW VARIABLES LIKE 'genai-%'");
  ASSERT_EQ(genai.columns.size(), 2u);
  EXPECT_EQ(genai.columns[0].name, "Variable_name");
  EXPECT_EQ(genai.columns[1].name, "Value");
  // LIKE selects exactly the genai- rows of the whole list.
  size_t expected = std::count_if(all.begin(), all.end(),
                                  [](const auto& row) { return row[0].starts_with("genai-"); });
  EXPECT_GT(expected, 10u);
  EXPECT_EQ(genai.rows.size(), expected);
  for (auto& row : genai.rows) EXPECT_TRUE(row[0]->starts_with("genai-"));
  EXPECT_TRUE(has_row(rows(*admin, "SHOW VARIABLES LIKE 'genai-threads'"), {"genai-threads", "8"}));
  auto at = result_set(*admin, "SELECT @@genai-threads");
  ASSERT_EQ(at.columns.size(), 1u);
  EXPECT_EQ(at.columns[0].name, "@@genai-threads");
  EXPECT_EQ(at.rows.at(0).at(0), "8");
  EXPECT_EQ(scalar(*admin, "SELECT * FROM global_variables WHERE variable_name LIKE 'genai-thr%'"),
            "genai-threads");
}

TEST_F(AdminQueriesTest, ApiKeysAreMaskedEverywhere) {
  ok(*admin, "SET genai-embedding_api_key = 'sk-very-secret'");
  EXPECT_TRUE(has_row(rows(*admin, "SHOW VARIABLES LIKE 'genai-embedding_api_key'"),
                      {"genai-embedding_api_key", "********"}));
  EXPECT_EQ(scalar(*admin, "SELECT @@genai-embedding_api_key"), "********");
  EXPECT_EQ(scalar(*admin,
                   "SELECT variable_value FROM global_variables WHERE "
                   "variable_name = 'genai-embedding_api_key'"),
            "********");
  EXPECT_EQ(
      scalar(*admin, "SELECT count(*) FROM global_variables WHERE variable_value LIKE '%secret%'"),
      "0");
  // The hidden table cannot be read, written, or reached through triggers or views.
  EXPECT_EQ(fails(*admin, "SELECT * FROM global_secrets").code, 1105);
  fails(*admin, "SELECT * FROM main.global_secrets");
  fails(*admin, "DELETE FROM global_secrets");
  fails(*admin, "CREATE VIEW v AS SELECT * FROM global_secrets");
  fails(*admin, "CREATE TRIGGER t AFTER INSERT ON mysql_users BEGIN SELECT 1; END");
  fails(*admin, "ATTACH DATABASE '/tmp/x.db' AS x");
  fails(*admin, "DROP TABLE global_variables");
  fails(*admin, "PRAGMA writable_schema = 1");

  // Writing the mask back (as a copy of a shown row would) keeps the key.
  ok(*admin, "SET genai-embedding_api_key = '********'");
  ok(*admin,
     "UPDATE global_variables SET variable_value = '********' WHERE variable_name = "
     "'genai-embedding_api_key'");
  ok(*admin, "LOAD GENAI VARIABLES TO RUNTIME");
  EXPECT_EQ(config.current()->genai.embedding_api_key, "sk-very-secret");
  EXPECT_EQ(scalar(*admin,
                   "SELECT variable_value FROM runtime_global_variables WHERE "
                   "variable_name = 'genai-embedding_api_key'"),
            "********");
  ok(*admin, "SAVE GENAI VARIABLES TO DISK");
  EXPECT_EQ(scalar(*admin,
                   "SELECT variable_value FROM disk.global_variables WHERE "
                   "variable_name = 'genai-embedding_api_key'"),
            "********");
  // Plain SQL updates are captured too, and an empty key is shown as empty.
  ok(*admin,
     "UPDATE global_variables SET variable_value = 'other' WHERE variable_name = "
     "'genai-rerank_api_key'");
  EXPECT_EQ(scalar(*admin, "SELECT @@genai-rerank_api_key"), "********");
  ok(*admin, "SET genai-rerank_api_key = ''");
  EXPECT_EQ(scalar(*admin, "SELECT @@genai-rerank_api_key"), "");

  reopen(false);
  EXPECT_EQ(config.current()->genai.embedding_api_key, "sk-very-secret");
}

TEST_F(AdminQueriesTest, EnvKeysResolveAtLoad) {
  ::unsetenv("GP_ADMIN_Q_KEY");
  ok(*admin, "SET genai-rerank_api_key = 'env:GP_ADMIN_Q_KEY'");
  EXPECT_EQ(scalar(*admin, "SELECT @@genai-rerank_api_key"), "env:GP_ADMIN_Q_KEY");
  auto before = config.current();
  auto e = fails(*admin, "LOAD GENAI VARIABLES TO RUNTIME");
  EXPECT_NE(e.message.find("genai-rerank_api_key"), std::string::npos);
  EXPECT_NE(e.message.find("GP_ADMIN_Q_KEY"), std::string::npos);
  EXPECT_EQ(config.current(), before);

  ::setenv("GP_ADMIN_Q_KEY", "from-env", 1);
  ok(*admin, "LOAD GENAI VARIABLES TO RUNTIME");
  EXPECT_EQ(config.current()->genai.rerank_api_key, "from-env");
  EXPECT_EQ(scalar(*admin,
                   "SELECT variable_value FROM runtime_global_variables WHERE "
                   "variable_name = 'genai-rerank_api_key'"),
            "env:GP_ADMIN_Q_KEY");
  ok(*admin, "SET genai-rerank_api_key = ''");
  ok(*admin, "SAVE GENAI VARIABLES FROM RUNTIME");
  EXPECT_EQ(scalar(*admin, "SELECT @@genai-rerank_api_key"), "env:GP_ADMIN_Q_KEY");
}

TEST_F(AdminQueriesTest, ChecksumChangesExactlyWhenAValueChanges) {
  std::string memory = scalar(*admin, "CHECKSUM MEMORY GENAI VARIABLES");
  EXPECT_TRUE(memory.starts_with("0x")) << memory;
  EXPECT_EQ(memory.size(), 18u);
  std::string disk = scalar(*admin, "CHECKSUM GENAI VARIABLES");
  EXPECT_EQ(disk, scalar(*admin, "CHECKSUM DISK GENAI VARIABLES"));
  EXPECT_EQ(memory, disk);
  ok(*admin, "SET genai-threads = 8");
  EXPECT_EQ(scalar(*admin, "CHECKSUM MEM GENAI VARIABLES"), memory);
  ok(*admin, "SET genai-threads = 9");
  std::string changed = scalar(*admin, "CHECKSUM MEMORY GENAI VARIABLES");
  EXPECT_NE(changed, memory);
  EXPECT_EQ(scalar(*admin, "CHECKSUM DISK GENAI VARIABLES"), disk);
  EXPECT_EQ(scalar(*admin, "CHECKSUM MEMORY MYSQL VARIABLES"),
            scalar(*admin, "CHECKSUM DISK MYSQL VARIABLES"));
  ok(*admin, "SAVE GENAI VARIABLES TO DISK");
  EXPECT_EQ(scalar(*admin, "CHECKSUM DISK GENAI VARIABLES"), changed);
  ok(*admin, "SET genai-threads = 8");
  EXPECT_EQ(scalar(*admin, "CHECKSUM MEMORY GENAI VARIABLES"), memory);

  // A secret change changes the checksum although the shown value stays masked.
  ok(*admin, "SET genai-embedding_api_key = 'k1'");
  std::string k1 = scalar(*admin, "CHECKSUM MEMORY GENAI VARIABLES");
  ok(*admin, "SET genai-embedding_api_key = 'k2'");
  EXPECT_NE(scalar(*admin, "CHECKSUM MEMORY GENAI VARIABLES"), k1);

  std::string users = scalar(*admin, "CHECKSUM MEMORY MYSQL USERS");
  ok(*admin, "UPDATE mysql_users SET comment = 'x'");
  EXPECT_NE(scalar(*admin, "CHECKSUM MEMORY MYSQL USERS"), users);
  std::string servers = scalar(*admin, "CHECKSUM RUNTIME MYSQL SERVERS");
  ok(*admin, "UPDATE mysql_servers SET weight = 9");
  EXPECT_EQ(scalar(*admin, "CHECKSUM RUNTIME MYSQL SERVERS"), servers);
  ok(*admin, "LOAD MYSQL SERVERS TO RUNTIME");
  EXPECT_NE(scalar(*admin, "CHECKSUM RUNTIME MYSQL SERVERS"), servers);
}

TEST_F(AdminQueriesTest, StatsTablesFollowTheRegistry) {
  std::atomic<int> calls{0};
  metrics.register_table("stats_genai_global", {"Variable_Name", "Variable_Value"}, [&] {
    ++calls;
    return StatsTable{{}, {{"requests_completed", std::to_string(calls.load())}}};
  });
  metrics.register_table("stats_mysql_connection_pool", {"hostgroup", "srv_host", "ConnUsed"}, [] {
    return StatsTable{{}, {{"0", "127.0.0.1", "3"}}};
  });
  EXPECT_EQ(rows(*admin, "SELECT * FROM stats_genai_global"), (Rows{{"requests_completed", "1"}}));
  EXPECT_EQ(rows(*admin, "SELECT Variable_Value FROM stats.stats_genai_global"), (Rows{{"2"}}));
  auto pool =
      result_set(*admin, "SELECT hostgroup, srv_host, ConnUsed FROM stats_mysql_connection_pool");
  ASSERT_EQ(pool.columns.size(), 3u);
  EXPECT_EQ(pool.columns[0].type, mysql::ColumnType::kVarString);
  EXPECT_EQ(pool.columns[1].type, mysql::ColumnType::kVarString);
  EXPECT_EQ(scalar(*admin, "SELECT sum(ConnUsed) FROM stats.stats_mysql_connection_pool"), "3");
  auto tables = rows(*admin, "SHOW TABLES FROM stats");
  EXPECT_TRUE(has_row(tables, {"stats_genai_global"}));
  EXPECT_TRUE(has_row(tables, {"stats_mysql_connection_pool"}));
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(AdminQueriesTest, ClientProbesAreAnswered) {
  auto vc = result_set(*admin, "select @@version_comment limit 1");
  ASSERT_EQ(vc.rows.size(), 1u);
  EXPECT_EQ(vc.columns.at(0).name, "@@version_comment");
  EXPECT_EQ(scalar(*admin, "SELECT @@version"), config.current()->mysql.server_version);
  EXPECT_EQ(scalar(*admin, "SELECT DATABASE()"), "main");
  EXPECT_EQ(scalar(*admin, "SELECT USER()"), "admin@localhost");
  for (auto sql : {"SET NAMES utf8mb4", "SET autocommit=1", "SET sql_mode=''", "BEGIN", "COMMIT"}) {
    auto r = admin->execute(sql);
    ASSERT_TRUE(r.has_value()) << sql;
    EXPECT_TRUE(std::holds_alternative<mysql::OkPacket>(*r)) << sql;
  }
  auto warnings = result_set(*admin, "SHOW WARNINGS");
  EXPECT_EQ(warnings.columns.size(), 3u);
  EXPECT_TRUE(warnings.rows.empty());
}

// As ProxySQL's admin sends them: every column VARCHAR text, but blobs.
TEST_F(AdminQueriesTest, ResultColumnsAreTextAsProxySQLSendsThem) {
  auto rs = result_set(*admin, "SELECT 1 AS i, 1.5 AS d, 'a' AS t, NULL AS n, x'00ff' AS b");
  ASSERT_EQ(rs.columns.size(), 5u);
  EXPECT_EQ(rs.columns[0].type, mysql::ColumnType::kVarString);
  EXPECT_EQ(rs.columns[1].type, mysql::ColumnType::kVarString);
  EXPECT_EQ(rs.columns[2].type, mysql::ColumnType::kVarString);
  EXPECT_EQ(rs.columns[4].type, mysql::ColumnType::kBlob);
  ASSERT_EQ(rs.rows.size(), 1u);
  EXPECT_EQ(rs.rows[0][0], "1");
  EXPECT_EQ(rs.rows[0][1], "1.5");
  EXPECT_FALSE(rs.rows[0][3].has_value());
  EXPECT_EQ(rs.rows[0][4], std::string("\x00\xff", 2));
  auto port = result_set(*admin, "SELECT port FROM mysql_servers");
  EXPECT_EQ(port.columns.at(0).type, mysql::ColumnType::kVarString);
  auto r = admin->execute("UPDATE mysql_servers SET weight = 2");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(std::get<mysql::OkPacket>(*r).affected_rows, 1u);
  r = admin->execute("CREATE TABLE scratch (x INT)");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(std::get<mysql::OkPacket>(*r).affected_rows, 0u);
  EXPECT_EQ(fails(*admin, "SELEC 1").code, 1105);
  EXPECT_EQ(fails(*admin, "SELECT 1; SELECT 2").code, 1064);
}

TEST_F(AdminQueriesTest, ShowTablesDatabasesCreateTable) {
  auto tables = rows(*admin, "SHOW TABLES");
  for (auto name : {"global_variables", "mysql_users", "mysql_servers", "runtime_global_variables",
                    "runtime_mysql_users", "runtime_mysql_servers"}) {
    EXPECT_TRUE(has_row(tables, {name})) << name;
  }
  EXPECT_FALSE(has_row(tables, {"global_secrets"}));
  EXPECT_TRUE(has_row(rows(*admin, "SHOW TABLES FROM disk"), {"mysql_servers"}));
  EXPECT_EQ(fails(*admin, "SHOW TABLES FROM nowhere").code, 1049);
  auto dbs = rows(*admin, "SHOW DATABASES");
  ASSERT_EQ(dbs.size(), 3u);
  EXPECT_EQ(dbs[0][1], "main");
  EXPECT_EQ(dbs[1][1], "disk");
  EXPECT_EQ(dbs[2][1], "stats");
  auto create = rows(*admin, "SHOW CREATE TABLE mysql_servers");
  ASSERT_EQ(create.size(), 1u);
  EXPECT_NE(create[0][1].find("PRIMARY KEY (hostgroup_id, hostname, port)"), std::string::npos);
  EXPECT_EQ(fails(*admin, "SHOW CREATE TABLE global_secrets").code, 1146);
  EXPECT_EQ(fails(*admin, "SHOW CREATE TABLE nope").code, 1146);
}

}  // namespace
}  // namespace gp::admin
