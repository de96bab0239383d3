#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sql/sql.h"

namespace gp::sql {
namespace {

SessionDefaults mariadb_defaults() {
  SessionDefaults d;
  d.version = "10.11.6-MariaDB";
  d.system_time_zone = "UTC";
  d.hostname = "proxyhost";
  return d;
}

SessionDefaults mysql_defaults() {
  SessionDefaults d;
  d.version = "8.0.36";
  d.collation = "utf8mb4_0900_ai_ci";
  d.system_time_zone = "UTC";
  d.hostname = "proxyhost";
  return d;
}

class SessionQuery : public ::testing::Test {
 protected:
  SessionVariables vars = SessionVariables::defaults(mariadb_defaults());
  SessionInfo info{"app", "10.0.0.7", "", 42};

  LocalAnswer answer(std::string_view sql) {
    auto r = answer_session_query(sql, vars, info);
    EXPECT_TRUE(r.has_value()) << sql << ": " << (r ? "" : r.error().message);
    if (!r || !*r) {
      ADD_FAILURE() << "not answered: " << sql;
      return {};
    }
    return std::move(**r);
  }

  mysql::ResultSet rows(std::string_view sql) {
    auto a = answer(sql);
    auto* rs = std::get_if<mysql::ResultSet>(&a.result);
    if (!rs) {
      ADD_FAILURE() << "no result set: " << sql;
      return {};
    }
    return *rs;
  }

  // The single value of a one-row, one-column answer ("NULL" for NULL).
  std::string value(std::string_view sql) {
    auto rs = rows(sql);
    if (rs.rows.size() != 1 || rs.rows[0].size() != 1) {
      ADD_FAILURE() << "not one value: " << sql;
      return {};
    }
    return rs.rows[0][0].value_or("NULL");
  }

  mysql::OkPacket ok(std::string_view sql) {
    auto a = answer(sql);
    auto* p = std::get_if<mysql::OkPacket>(&a.result);
    if (!p) {
      ADD_FAILURE() << "no OK: " << sql;
      return {};
    }
    return *p;
  }

  void expect_error(std::string_view sql, uint16_t code, std::string_view sqlstate,
                    std::string_view message) {
    auto before = vars.values;
    auto r = answer_session_query(sql, vars, info);
    ASSERT_FALSE(r.has_value()) << sql;
    EXPECT_EQ(r.error().code, code) << sql;
    EXPECT_EQ(r.error().sqlstate, sqlstate) << sql;
    EXPECT_EQ(r.error().message, message) << sql;
    EXPECT_EQ(vars.values, before) << "a failed statement changed the session: " << sql;
  }

  void expect_not_answered(std::string_view sql) {
    auto before = vars.values;
    auto r = answer_session_query(sql, vars, info);
    ASSERT_TRUE(r.has_value()) << sql << ": " << r.error().message;
    EXPECT_FALSE(r->has_value()) << sql;
    EXPECT_EQ(vars.values, before) << sql;
  }

  std::vector<std::string> names(const mysql::ResultSet& rs) {
    std::vector<std::string> out;
    for (const auto& row : rs.rows) out.push_back(row[0].value_or("NULL"));
    return out;
  }
};

TEST_F(SessionQuery, VersionCommentLimitOne) {
  auto rs = rows("select @@version_comment limit 1");
  ASSERT_EQ(rs.columns.size(), 1u);
  EXPECT_EQ(rs.columns[0].name, "@@version_comment");
  EXPECT_EQ(rs.columns[0].type, mysql::ColumnType::kVarString);
  ASSERT_EQ(rs.rows.size(), 1u);
  EXPECT_EQ(rs.rows[0][0], "genaiproxy");
  EXPECT_TRUE(rows("SELECT @@version_comment LIMIT 0").rows.empty());
}

TEST_F(SessionQuery, ColumnNamesAreTheTextAsWritten) {
  auto rs = rows(
      "SELECT @@max_allowed_packet, @@SESSION.tx_isolation, version ( ), @@global.wait_timeout "
      "AS wt, @@sql_mode `m`, DATABASE() 'd', CURRENT_USER, 'lit', 7, NULL, TRUE;");
  std::vector<std::string> got;
  for (const auto& c : rs.columns) got.push_back(c.name);
  EXPECT_EQ(got, (std::vector<std::string>{"@@max_allowed_packet", "@@SESSION.tx_isolation",
                                           "version ( )", "wt", "m", "d", "CURRENT_USER", "lit",
                                           "7", "NULL", "TRUE"}));
  ASSERT_EQ(rs.rows.size(), 1u);
  const auto& r = rs.rows[0];
  EXPECT_EQ(r[0], "67108864");
  EXPECT_EQ(r[1], "REPEATABLE-READ");
  EXPECT_EQ(r[2], "10.11.6-MariaDB");
  EXPECT_EQ(r[3], "28800");
  EXPECT_EQ(r[5], std::nullopt);
  EXPECT_EQ(r[6], "app@%");
  EXPECT_EQ(r[7], "lit");
  EXPECT_EQ(r[8], "7");
  EXPECT_EQ(r[9], std::nullopt);
  EXPECT_EQ(r[10], "1");
}

TEST_F(SessionQuery, TypesFollowTheServer) {
  auto rs = rows("SELECT @@max_allowed_packet, @@autocommit, @@sql_mode, CONNECTION_ID(), NULL");
  EXPECT_EQ(rs.columns[0].type, mysql::ColumnType::kLongLong);
  EXPECT_TRUE(rs.columns[0].flags & mysql::column_flag::kUnsigned);
  EXPECT_EQ(rs.columns[1].type, mysql::ColumnType::kLongLong);
  EXPECT_EQ(rs.rows[0][1], "1");  // numeric in SELECT, ON in SHOW VARIABLES
  EXPECT_EQ(rs.columns[2].type, mysql::ColumnType::kVarString);
  EXPECT_EQ(rs.columns[3].type, mysql::ColumnType::kLongLong);
  EXPECT_EQ(rs.rows[0][3], "42");
  EXPECT_EQ(rs.columns[4].type, mysql::ColumnType::kNull);
  auto dec = rows("SELECT 1.50, .5, -2");
  EXPECT_EQ(dec.columns[0].type, mysql::ColumnType::kNewDecimal);
  EXPECT_EQ(dec.columns[0].decimals, 2);
  EXPECT_EQ(dec.rows[0][0], "1.50");
  EXPECT_EQ(dec.rows[0][1], "0.5");
  EXPECT_EQ(dec.columns[2].name, "-2");
  EXPECT_EQ(dec.rows[0][2], "-2");
}

TEST_F(SessionQuery, Functions) {
  EXPECT_EQ(value("SELECT VERSION()"), "10.11.6-MariaDB");
  EXPECT_EQ(value("SELECT DATABASE()"), "NULL");
  EXPECT_EQ(value("select schema()"), "NULL");
  info.database = "shop";
  EXPECT_EQ(value("SELECT DATABASE()"), "shop");
  EXPECT_EQ(value("SELECT USER()"), "app@10.0.0.7");
  EXPECT_EQ(value("SELECT SESSION_USER()"), "app@10.0.0.7");
  EXPECT_EQ(value("SELECT SYSTEM_USER()"), "app@10.0.0.7");
  EXPECT_EQ(value("SELECT CURRENT_USER()"), "app@%");
  EXPECT_EQ(value("SELECT CONNECTION_ID()"), "42");
  EXPECT_EQ(value("SELECT LAST_INSERT_ID()"), "0");
  EXPECT_EQ(value("SELECT 'a' 'b'"), "ab");
  EXPECT_EQ(value("SELECT @@version FROM DUAL"), "10.11.6-MariaDB");
}

TEST_F(SessionQuery, CommentsSpacingAndSemicolon) {
  EXPECT_EQ(value("  /* hi */ SeLeCt\n@@autocommit -- x\n ;"), "1");
  EXPECT_EQ(value("/*!40101 SELECT @@time_zone */"), "SYSTEM");
  EXPECT_EQ(value("# c\nSELECT @@time_zone;"), "SYSTEM");
}

TEST_F(SessionQuery, ConnectorJ8ConnectQuery) {
  auto rs = rows(
      "/* mysql-connector-java-8.0.33 (Revision: 7d6b0800528b6b25c68b52dc10d6c1c8429c100c) "
      "*/SELECT  @@session.auto_increment_increment AS auto_increment_increment, "
      "@@character_set_client AS character_set_client, @@character_set_connection AS "
      "character_set_connection, @@character_set_results AS character_set_results, "
      "@@character_set_server AS character_set_server, @@collation_server AS collation_server, "
      "@@collation_connection AS collation_connection, @@init_connect AS init_connect, "
      "@@interactive_timeout AS interactive_timeout, @@license AS license, "
      "@@lower_case_table_names AS lower_case_table_names, @@max_allowed_packet AS "
      "max_allowed_packet, @@net_write_timeout AS net_write_timeout, @@performance_schema AS "
      "performance_schema, @@query_cache_size AS query_cache_size, @@query_cache_type AS "
      "query_cache_type, @@sql_mode AS sql_mode, @@system_time_zone AS system_time_zone, "
      "@@time_zone AS time_zone, @@transaction_isolation AS transaction_isolation, "
      "@@wait_timeout AS wait_timeout, @@net_buffer_length AS net_buffer_length, "
      "@@have_query_cache AS have_query_cache, @@tx_isolation AS tx_isolation");
  ASSERT_EQ(rs.columns.size(), 24u);
  EXPECT_EQ(rs.columns[0].name, "auto_increment_increment");
  ASSERT_EQ(rs.rows.size(), 1u);
  const auto& r = rs.rows[0];
  EXPECT_EQ(r[0], "1");
  EXPECT_EQ(r[1], "utf8mb4");
  EXPECT_EQ(r[5], "utf8mb4_general_ci");
  EXPECT_EQ(r[7], "");
  EXPECT_EQ(r[8], "28800");
  EXPECT_EQ(r[9], "GPL");
  EXPECT_EQ(r[11], "67108864");
  EXPECT_EQ(r[13], "0");
  EXPECT_EQ(r[15], "OFF");
  EXPECT_EQ(r[16],
            "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,"
            "NO_ENGINE_SUBSTITUTION");
  EXPECT_EQ(r[17], "UTC");
  EXPECT_EQ(r[18], "SYSTEM");
  EXPECT_EQ(r[19], "REPEATABLE-READ");
  EXPECT_EQ(r[20], "28800");
}

TEST_F(SessionQuery, MariaDbConnectorJQueriesAndShowFallback) {
  auto rs = rows(
      "SELECT @@max_allowed_packet,@@system_time_zone,@@time_zone,@@auto_increment_increment,"
      "@@tx_isolation AS tx_isolation,@@session.tx_read_only AS tx_read_only");
  ASSERT_EQ(rs.rows.size(), 1u);
  EXPECT_EQ(rs.rows[0], (mysql::Row{"67108864", "UTC", "SYSTEM", "1", "REPEATABLE-READ", "0"}));
  EXPECT_EQ(rs.columns[1].name, "@@system_time_zone");

  auto show = rows(
      "SHOW VARIABLES WHERE Variable_name in ('max_allowed_packet','system_time_zone',"
      "'time_zone','auto_increment_increment')");
  ASSERT_EQ(show.columns.size(), 2u);
  EXPECT_EQ(show.columns[0].name, "Variable_name");
  EXPECT_EQ(show.columns[1].name, "Value");
  ASSERT_EQ(show.rows.size(), 4u);
  EXPECT_EQ(show.rows[0], (mysql::Row{"auto_increment_increment", "1"}));
  EXPECT_EQ(show.rows[1], (mysql::Row{"max_allowed_packet", "67108864"}));
  EXPECT_EQ(show.rows[2], (mysql::Row{"system_time_zone", "UTC"}));
  EXPECT_EQ(show.rows[3], (mysql::Row{"time_zone", "SYSTEM"}));
}

TEST_F(SessionQuery, ConnectorJSetStatement) {
  auto a = answer("set autocommit=1, sql_mode = concat(@@sql_mode,',STRICT_TRANS_TABLES')");
  ASSERT_TRUE(std::holds_alternative<mysql::OkPacket>(a.result));
  EXPECT_FALSE(a.autocommit_changed);
  // The duplicate mode collapses, as the server keeps a set of modes.
  EXPECT_EQ(value("SELECT @@sql_mode"),
            "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,"
            "NO_ENGINE_SUBSTITUTION");
  ok("SET sql_mode = ''");
  ok("set sql_mode = concat(@@sql_mode,',STRICT_TRANS_TABLES')");
  EXPECT_EQ(value("SELECT @@sql_mode"), "STRICT_TRANS_TABLES");
}

TEST_F(SessionQuery, SqlAlchemyQueries) {
  auto a = answer("SET AUTOCOMMIT = 0");
  EXPECT_TRUE(a.autocommit_changed);
  EXPECT_EQ(vars.values.at("autocommit"), "OFF");
  ok("SET NAMES utf8mb4");
  EXPECT_EQ(value("SELECT VERSION()"), "10.11.6-MariaDB");
  EXPECT_EQ(value("SELECT DATABASE()"), "NULL");
  EXPECT_EQ(value("SELECT @@tx_isolation"), "REPEATABLE-READ");
  EXPECT_EQ(value("SELECT @@transaction_isolation"), "REPEATABLE-READ");
  auto show = rows("SHOW VARIABLES LIKE 'sql_mode'");
  ASSERT_EQ(show.rows.size(), 1u);
  EXPECT_EQ(show.rows[0][0], "sql_mode");
  EXPECT_EQ(value("SELECT @@lower_case_table_names"), "0");
  EXPECT_EQ(answer("ROLLBACK").transaction, LocalAnswer::Transaction::kRollback);
  EXPECT_EQ(value("SELECT @@autocommit"), "0");
}

TEST_F(SessionQuery, ShowVariablesForms) {
  auto all = rows("SHOW VARIABLES");
  EXPECT_GT(all.rows.size(), 50u);
  auto n = names(all);
  EXPECT_TRUE(std::is_sorted(n.begin(), n.end()));
  EXPECT_EQ(names(rows("show session variables like 'CHARACTER\\_SET\\_C%'")),
            (std::vector<std::string>{"character_set_client", "character_set_connection"}));
  EXPECT_EQ(names(rows("SHOW LOCAL VARIABLES LIKE 'tx_%'")),
            (std::vector<std::string>{"tx_isolation", "tx_read_only"}));
  EXPECT_EQ(names(rows("SHOW VARIABLES WHERE Variable_name LIKE 'wait%' OR variable_name = "
                       "'AUTOCOMMIT' OR `Variable_name` IN ('port')")),
            (std::vector<std::string>{"autocommit", "port", "wait_timeout"}));
  auto ac = rows("SHOW VARIABLES LIKE 'autocommit'");
  EXPECT_EQ(ac.rows[0][1], "ON");
  EXPECT_TRUE(rows("SHOW VARIABLES LIKE 'no_such%'").rows.empty());
  EXPECT_EQ(names(rows("SHOW VARIABLES LIKE 'versio_'")), (std::vector<std::string>{"version"}));
  // Session-only variables are not global ones.
  EXPECT_TRUE(rows("SHOW GLOBAL VARIABLES LIKE 'warning_count'").rows.empty());
  EXPECT_EQ(rows("SHOW VARIABLES LIKE 'warning_count'").rows.size(), 1u);
}

TEST_F(SessionQuery, ShowGlobalKeepsTheGlobalValue) {
  ok("SET wait_timeout = 100");
  EXPECT_EQ(rows("SHOW VARIABLES LIKE 'wait_timeout'").rows[0][1], "100");
  EXPECT_EQ(rows("SHOW GLOBAL VARIABLES LIKE 'wait_timeout'").rows[0][1], "28800");
  EXPECT_EQ(value("SELECT @@global.wait_timeout"), "28800");
  EXPECT_EQ(value("SELECT @@local.wait_timeout"), "100");
}

TEST_F(SessionQuery, SetForms) {
  ok("SET SESSION wait_timeout = 10, LOCAL interactive_timeout := 20, @@net_write_timeout = 30,"
     " @@session.net_read_timeout = 40, @@local.lock_wait_timeout = 50");
  EXPECT_EQ(value("SELECT @@wait_timeout"), "10");
  EXPECT_EQ(value("SELECT @@interactive_timeout"), "20");
  EXPECT_EQ(value("SELECT @@net_write_timeout"), "30");
  EXPECT_EQ(value("SELECT @@net_read_timeout"), "40");
  EXPECT_EQ(value("SELECT @@lock_wait_timeout"), "50");
  ok("SET sql_mode = TRADITIONAL");
  EXPECT_EQ(value("SELECT @@sql_mode"),
            "STRICT_TRANS_TABLES,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
            "ERROR_FOR_DIVISION_BY_ZERO,TRADITIONAL,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION");
  ok("SET time_zone = '+00:00'");
  EXPECT_EQ(value("SELECT @@time_zone"), "+00:00");
  ok("SET time_zone = system");
  EXPECT_EQ(value("SELECT @@time_zone"), "SYSTEM");
  ok("SET character_set_results = NULL");
  EXPECT_EQ(value("SELECT @@character_set_results"), "NULL");
  EXPECT_EQ(rows("SHOW VARIABLES LIKE 'character_set_results'").rows[0][1], "");
  ok("SET sql_safe_updates = ON, foreign_key_checks = 0, unique_checks = FALSE");
  EXPECT_EQ(value("SELECT @@sql_safe_updates"), "1");
  EXPECT_EQ(value("SELECT @@foreign_key_checks"), "0");
  EXPECT_EQ(value("SELECT @@unique_checks"), "0");
  ok("SET wait_timeout = @@interactive_timeout");
  EXPECT_EQ(value("SELECT @@wait_timeout"), "20");
  ok("SET query_cache_type = 2");
  EXPECT_EQ(value("SELECT @@query_cache_type"), "DEMAND");
}

TEST_F(SessionQuery, SetValuesAreEvaluatedBeforeAnyIsApplied) {
  ok("SET wait_timeout = 5, interactive_timeout = @@wait_timeout");
  EXPECT_EQ(value("SELECT @@interactive_timeout"), "28800");
}

TEST_F(SessionQuery, OutOfRangeIntegersAreClampedWithAWarning) {
  EXPECT_EQ(ok("SET wait_timeout = 0").warnings, 1);
  EXPECT_EQ(value("SELECT @@wait_timeout"), "1");
  EXPECT_EQ(ok("SET auto_increment_increment = 70000").warnings, 1);
  EXPECT_EQ(value("SELECT @@auto_increment_increment"), "65535");
  EXPECT_EQ(ok("SET wait_timeout = 60").warnings, 0);
}

TEST_F(SessionQuery, DefaultRestoresTheGlobalValue) {
  ok("SET wait_timeout = 10, sql_mode = 'ANSI'");
  EXPECT_EQ(value("SELECT @@sql_mode"),
            "REAL_AS_FLOAT,PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ANSI");
  ok("SET wait_timeout = DEFAULT, sql_mode = DEFAULT");
  EXPECT_EQ(value("SELECT @@wait_timeout"), "28800");
  EXPECT_EQ(value("SELECT @@sql_mode"),
            "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,"
            "NO_ENGINE_SUBSTITUTION");
}

TEST_F(SessionQuery, SqlModeChangesHowStatementsAreRead) {
  ok("SET sql_mode = 'ANSI_QUOTES'");
  // "x" is now an identifier: a column alias, not a string.
  auto rs = rows("SELECT @@time_zone \"tz\"");
  EXPECT_EQ(rs.columns[0].name, "tz");
  expect_not_answered("SELECT \"abc\"");
  ok("SET sql_mode = 'NO_BACKSLASH_ESCAPES'");
  EXPECT_EQ(value("SELECT 'a\\'"), "a\\");
}

TEST_F(SessionQuery, SetNames) {
  ok("SET NAMES latin1");
  EXPECT_EQ(value("SELECT @@character_set_client"), "latin1");
  EXPECT_EQ(value("SELECT @@character_set_connection"), "latin1");
  EXPECT_EQ(value("SELECT @@character_set_results"), "latin1");
  EXPECT_EQ(value("SELECT @@collation_connection"), "latin1_swedish_ci");
  ok("set names 'utf8mb4' collate 'utf8mb4_unicode_ci'");
  EXPECT_EQ(value("SELECT @@character_set_client"), "utf8mb4");
  EXPECT_EQ(value("SELECT @@collation_connection"), "utf8mb4_unicode_ci");
  ok("SET NAMES utf8");
  EXPECT_EQ(value("SELECT @@character_set_client"), "utf8mb3");
  EXPECT_EQ(value("SELECT @@collation_connection"), "utf8mb3_general_ci");
  ok("SET NAMES DEFAULT");
  EXPECT_EQ(value("SELECT @@character_set_client"), "utf8mb4");
  expect_error("SET NAMES nosuch", 1115, "42000", "Unknown character set: 'nosuch'");
  expect_error("SET NAMES utf8mb4 COLLATE latin1_bin", 1253, "42000",
               "COLLATION 'latin1_bin' is not valid for CHARACTER SET 'utf8mb4'");
  expect_error("SET NAMES ucs2", 1231, "42000",
               "Variable 'character_set_client' can't be set to the value of 'ucs2'");
}

TEST_F(SessionQuery, SetCharacterSetAndCollations) {
  ok("SET CHARACTER SET latin1");
  EXPECT_EQ(value("SELECT @@character_set_client"), "latin1");
  EXPECT_EQ(value("SELECT @@character_set_results"), "latin1");
  EXPECT_EQ(value("SELECT @@character_set_connection"), "utf8mb4");
  EXPECT_EQ(value("SELECT @@collation_connection"), "utf8mb4_general_ci");
  ok("SET CHARSET utf8mb4");
  EXPECT_EQ(value("SELECT @@character_set_client"), "utf8mb4");
  ok("SET collation_connection = utf8mb4_bin");
  EXPECT_EQ(value("SELECT @@character_set_connection"), "utf8mb4");
  ok("SET character_set_connection = latin1");
  EXPECT_EQ(value("SELECT @@collation_connection"), "latin1_swedish_ci");
  expect_error("SET collation_connection = 'nope'", 1273, "HY000", "Unknown collation: 'nope'");
}

TEST_F(SessionQuery, SetTransaction) {
  ok("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
  EXPECT_EQ(value("SELECT @@tx_isolation"), "READ-COMMITTED");
  EXPECT_EQ(value("SELECT @@transaction_isolation"), "READ-COMMITTED");
  ok("SET SESSION TRANSACTION READ ONLY, ISOLATION LEVEL SERIALIZABLE");
  EXPECT_EQ(value("SELECT @@transaction_read_only"), "1");
  EXPECT_EQ(value("SELECT @@tx_read_only"), "1");
  EXPECT_EQ(value("SELECT @@tx_isolation"), "SERIALIZABLE");
  ok("SET LOCAL TRANSACTION READ WRITE");
  EXPECT_EQ(value("SELECT @@tx_read_only"), "0");
  // Without SESSION it is only for the next transaction.
  ok("SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED");
  EXPECT_EQ(value("SELECT @@tx_isolation"), "SERIALIZABLE");
  ok("SET tx_isolation = 'repeatable-read'");
  EXPECT_EQ(value("SELECT @@transaction_isolation"), "REPEATABLE-READ");
  expect_not_answered("SET GLOBAL TRANSACTION ISOLATION LEVEL READ COMMITTED");
  expect_not_answered("SET SESSION TRANSACTION ISOLATION LEVEL SOMETIMES");
}

TEST_F(SessionQuery, Autocommit) {
  EXPECT_TRUE(answer("SET autocommit = OFF").autocommit_changed);
  EXPECT_FALSE(answer("SET autocommit = 0").autocommit_changed);
  EXPECT_TRUE(answer("SET @@autocommit = TRUE").autocommit_changed);
  EXPECT_TRUE(answer("set autocommit='off'").autocommit_changed);
  EXPECT_TRUE(answer("SET autocommit = 1").autocommit_changed);
  EXPECT_EQ(vars.values.at("autocommit"), "ON");
  expect_error("SET autocommit = 2", 1231, "42000",
               "Variable 'autocommit' can't be set to the value of '2'");
  expect_error("SET autocommit = 'maybe'", 1231, "42000",
               "Variable 'autocommit' can't be set to the value of 'maybe'");
  expect_error("SET autocommit = NULL", 1231, "42000",
               "Variable 'autocommit' can't be set to the value of 'NULL'");
  expect_error("SET autocommit = 1.5", 1232, "42000",
               "Incorrect argument type to variable 'autocommit'");
}

TEST_F(SessionQuery, UnknownVariables) {
  expect_error("SELECT @@no_such_var", 1193, "HY000", "Unknown system variable 'no_such_var'");
  expect_error("SELECT @@version, @@session.Bogus", 1193, "HY000",
               "Unknown system variable 'Bogus'");
  expect_error("SET no_such_var = 1", 1193, "HY000", "Unknown system variable 'no_such_var'");
  // Nothing of a failing SET applies, not even the assignments before it.
  expect_error("SET wait_timeout = 5, no_such_var = 1", 1193, "HY000",
               "Unknown system variable 'no_such_var'");
  EXPECT_EQ(value("SELECT @@wait_timeout"), "28800");
  // The server reports the variable only when it can read the statement.
  expect_not_answered("SELECT @@no_such_var FROM t");
}

TEST_F(SessionQuery, ScopeAndReadOnlyErrors) {
  expect_error("SET version = 'x'", 1238, "HY000", "Variable 'version' is a read only variable");
  expect_error("SET init_connect = ''", 1229, "HY000",
               "Variable 'init_connect' is a GLOBAL variable and should be set with SET GLOBAL");
  expect_error("SET max_allowed_packet = 1024", 1621, "HY000",
               "SESSION variable 'max_allowed_packet' is read-only. Use SET GLOBAL to assign "
               "the value");
  expect_error("SELECT @@session.version", 1238, "HY000",
               "Variable 'version' is a GLOBAL variable");
  expect_error("SELECT @@global.warning_count", 1238, "HY000",
               "Variable 'warning_count' is a SESSION variable");
  expect_error("SET wait_timeout = 'x'", 1232, "42000",
               "Incorrect argument type to variable 'wait_timeout'");
  expect_error("SET sql_mode = 'NO_SUCH_MODE'", 1231, "42000",
               "Variable 'sql_mode' can't be set to the value of 'NO_SUCH_MODE'");
  expect_error("SET tx_isolation = 'sometimes'", 1231, "42000",
               "Variable 'tx_isolation' can't be set to the value of 'sometimes'");
}

TEST_F(SessionQuery, Transactions) {
  EXPECT_EQ(answer("BEGIN").transaction, LocalAnswer::Transaction::kBegin);
  EXPECT_EQ(answer("begin work;").transaction, LocalAnswer::Transaction::kBegin);
  EXPECT_EQ(answer("START TRANSACTION").transaction, LocalAnswer::Transaction::kBegin);
  EXPECT_EQ(answer("COMMIT").transaction, LocalAnswer::Transaction::kCommit);
  EXPECT_EQ(answer("commit work").transaction, LocalAnswer::Transaction::kCommit);
  EXPECT_EQ(answer("ROLLBACK WORK").transaction, LocalAnswer::Transaction::kRollback);
  expect_not_answered("COMMIT AND CHAIN");
  expect_not_answered("COMMIT AND NO CHAIN");
  expect_not_answered("ROLLBACK RELEASE");
  expect_not_answered("ROLLBACK NO RELEASE");
  expect_not_answered("ROLLBACK TO SAVEPOINT s");
  expect_not_answered("START TRANSACTION READ ONLY");
  expect_not_answered("START TRANSACTION WITH CONSISTENT SNAPSHOT");
  expect_not_answered("BEGIN NOT ATOMIC SELECT 1; END");
}

TEST_F(SessionQuery, Use) {
  auto a = answer("USE shop");
  EXPECT_EQ(a.use_database, "shop");
  EXPECT_TRUE(std::holds_alternative<mysql::OkPacket>(a.result));
  EXPECT_EQ(answer("use `my``db`;").use_database, "my`db");
  expect_not_answered("USE");
  expect_not_answered("USE a b");
}

TEST_F(SessionQuery, StatementsThatAreNotAnswered) {
  for (std::string_view sql : {"SELECT 1 FROM t",
                               "SELECT @@version FROM mysql.user",
                               "SET GLOBAL wait_timeout = 10",
                               "SET @@global.wait_timeout = 10",
                               "SET @u = 1",
                               "SET @u := 1, autocommit = 0",
                               "SET wait_timeout = 10, GLOBAL max_connections = 5",
                               "INSERT INTO t VALUES (1)",
                               "SELECT NOW()",
                               "SELECT @x",
                               "SELECT @@version + 1",
                               "SELECT 1e3",
                               "SELECT 1; SELECT 2",
                               "SELECT DISTINCT @@version",
                               "SELECT @@version LIMIT 1, 2",
                               "SELECT 'a",
                               "",
                               "SET sql_mode = UPPER('ansi')",
                               "SET wait_timeout = 1 + 1",
                               "SHOW STATUS",
                               "SHOW VARIABLES WHERE Value = 'ON'",
                               "SET PERSIST wait_timeout = 1",
                               "SELECT @@keycache1.key_buffer_size",
                               "UPDATE t SET a = 1",
                               "SET sql_mode = t.c",
                               "SELECT version"}) {
    expect_not_answered(sql);
  }
}

TEST(SessionVariablesDefaults, FollowTheAdvertisedFlavor) {
  auto maria = SessionVariables::defaults(mariadb_defaults());
  auto mysql = SessionVariables::defaults(mysql_defaults());
  EXPECT_FALSE(maria.global.contains("max_execution_time"));
  EXPECT_EQ(mysql.global.at("max_execution_time"), "0");
  EXPECT_EQ(mysql.global.at("sql_mode"),
            "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
            "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION");
  EXPECT_EQ(maria.global.at("performance_schema"), "OFF");
  EXPECT_EQ(mysql.global.at("performance_schema"), "ON");
  EXPECT_EQ(maria.global.at("hostname"), "proxyhost");
  EXPECT_EQ(maria.values, maria.global);

  SessionInfo info{"u", "h", "", 1};
  auto r = answer_session_query("SET NAMES utf8mb4", mysql, info);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(mysql.values.at("collation_connection"), "utf8mb4_0900_ai_ci");
  r = answer_session_query("SET sql_mode = 'ANSI'", mysql, info);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(mysql.values.at("sql_mode"),
            "REAL_AS_FLOAT,PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ONLY_FULL_GROUP_BY,ANSI");
  EXPECT_TRUE(lex_options(mysql).ansi_quotes);
  r = answer_session_query("SET sql_mode = 'NO_AUTO_CREATE_USER'", mysql, info);
  ASSERT_FALSE(r);  // gone from MySQL 8
  EXPECT_EQ(r.error().code, 1231);
}

TEST(SessionVariablesDefaults, SqlModeByNumber) {
  auto vars = SessionVariables::defaults(mariadb_defaults());
  SessionInfo info{"u", "h", "", 1};
  ASSERT_TRUE(answer_session_query("SET sql_mode = 0", vars, info));
  EXPECT_EQ(vars.values.at("sql_mode"), "");
  ASSERT_TRUE(answer_session_query("SET sql_mode = 4", vars, info));
  EXPECT_EQ(vars.values.at("sql_mode"), "ANSI_QUOTES");
}

}  // namespace
}  // namespace gp::sql
