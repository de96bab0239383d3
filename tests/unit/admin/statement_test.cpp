#include "admin/statement.h"

#include <gtest/gtest.h>

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

void expect_syntax_error(std::string_view sql) {
  auto r = parse_statement(sql);
  ASSERT_FALSE(r.has_value()) << sql;
  EXPECT_EQ(r.error().code, 1064) << sql;
  EXPECT_EQ(r.error().sqlstate, "42000");
}

TEST(StatementTest, SetVariableUnquotedQuotedAndCase) {
  auto s = parse_as<SetVariable>("SET genai-threads = 8");
  EXPECT_EQ(s.name, "genai-threads");
  EXPECT_EQ(s.value, "8");
  s = parse_as<SetVariable>("set GENAI-Embedding_URI='http://h:1/e';");
  EXPECT_EQ(s.name, "genai-embedding_uri");
  EXPECT_EQ(s.value, "http://h:1/e");
  s = parse_as<SetVariable>("  SET genai-rerank_uri = \"http://x/r\" ;  ");
  EXPECT_EQ(s.value, "http://x/r");
  s = parse_as<SetVariable>("SET genai-rerank_uri=http://x/r;;");
  EXPECT_EQ(s.value, "http://x/r");
  s = parse_as<SetVariable>("SET @@genai-threads := 3");
  EXPECT_EQ(s.name, "genai-threads");
  EXPECT_EQ(s.value, "3");
  s = parse_as<SetVariable>("SET GLOBAL mysql-threads=2");
  EXPECT_EQ(s.name, "mysql-threads");
  s = parse_as<SetVariable>("SET admin-admin_credentials='a:b;c:d'");
  EXPECT_EQ(s.value, "a:b;c:d");
}

TEST(StatementTest, SetValueEscapes) {
  EXPECT_EQ(parse_as<SetVariable>("SET genai-embedding_model='it''s'").value, "it's");
  EXPECT_EQ(parse_as<SetVariable>("SET genai-embedding_model='a\\'b'").value, "a'b");
  EXPECT_EQ(parse_as<SetVariable>("SET genai-embedding_model=''").value, "");
  expect_syntax_error("SET genai-embedding_model='unterminated");
  expect_syntax_error("SET genai-embedding_model='a' 'b'");
  expect_syntax_error("SET genai-threads 8");
}

TEST(StatementTest, SessionSetsAreAccepted) {
  for (auto sql : {"SET NAMES utf8mb4", "SET autocommit=1", "SET AUTOCOMMIT = 0",
                   "SET sql_mode='STRICT_TRANS_TABLES'", "SET SESSION wait_timeout=10",
                   "SET character_set_results = NULL", "SET @a = 1"}) {
    parse_as<SessionSet>(sql);
  }
}

struct VerbCase {
  const char* sql;
  Target target;
  Transfer transfer;
};

TEST(StatementTest, EveryLoadSaveAlias) {
  const VerbCase cases[] = {
      {"LOAD GENAI VARIABLES TO RUNTIME", Target::kGenaiVariables, Transfer::kMemoryToRuntime},
      {"LOAD GENAI VARIABLES TO RUN", Target::kGenaiVariables, Transfer::kMemoryToRuntime},
      {"LOAD GENAI VARIABLES FROM MEMORY", Target::kGenaiVariables, Transfer::kMemoryToRuntime},
      {"LOAD GENAI VARIABLES FROM MEM", Target::kGenaiVariables, Transfer::kMemoryToRuntime},
      {"SAVE GENAI VARIABLES FROM RUNTIME", Target::kGenaiVariables, Transfer::kRuntimeToMemory},
      {"SAVE GENAI VARIABLES FROM RUN", Target::kGenaiVariables, Transfer::kRuntimeToMemory},
      {"SAVE GENAI VARIABLES TO MEMORY", Target::kGenaiVariables, Transfer::kRuntimeToMemory},
      {"SAVE GENAI VARIABLES TO MEM", Target::kGenaiVariables, Transfer::kRuntimeToMemory},
      {"LOAD GENAI VARIABLES FROM DISK", Target::kGenaiVariables, Transfer::kDiskToMemory},
      {"LOAD GENAI VARIABLES TO MEMORY", Target::kGenaiVariables, Transfer::kDiskToMemory},
      {"LOAD GENAI VARIABLES TO MEM", Target::kGenaiVariables, Transfer::kDiskToMemory},
      {"SAVE GENAI VARIABLES TO DISK", Target::kGenaiVariables, Transfer::kMemoryToDisk},
      {"SAVE GENAI VARIABLES FROM MEMORY", Target::kGenaiVariables, Transfer::kMemoryToDisk},
      {"SAVE GENAI VARIABLES FROM MEM", Target::kGenaiVariables, Transfer::kMemoryToDisk},
      {"LOAD GENAI VARIABLES FROM CONFIG", Target::kGenaiVariables, Transfer::kConfigToMemory},
      {"load mysql variables to runtime;", Target::kMysqlVariables, Transfer::kMemoryToRuntime},
      {"SAVE ADMIN VARIABLES TO DISK", Target::kAdminVariables, Transfer::kMemoryToDisk},
      {"LOAD MYSQL USERS TO RUNTIME", Target::kMysqlUsers, Transfer::kMemoryToRuntime},
      {"SAVE MYSQL USERS FROM RUNTIME", Target::kMysqlUsers, Transfer::kRuntimeToMemory},
      {"LOAD MYSQL SERVERS FROM DISK", Target::kMysqlServers, Transfer::kDiskToMemory},
      {" Save  Mysql  Servers  To  Disk ; ", Target::kMysqlServers, Transfer::kMemoryToDisk},
  };
  for (auto& c : cases) {
    auto ls = parse_as<LoadSave>(c.sql);
    EXPECT_EQ(ls.target, c.target) << c.sql;
    EXPECT_EQ(ls.transfer, c.transfer) << c.sql;
  }
}

TEST(StatementTest, BadLoadSaveIsSyntaxError) {
  for (auto sql :
       {"LOAD GENAI VARIABLES TO NOWHERE", "LOAD GENAI VARIABLES", "LOAD FOO VARIABLES TO RUNTIME",
        "SAVE GENAI VARIABLES TO RUNTIME", "LOAD GENAI VARIABLES TO DISK",
        "SAVE GENAI VARIABLES FROM DISK", "LOAD MYSQL USERS TO RUNTIME NOW",
        "SAVE GENAI VARIABLES FROM CONFIG", "LOAD ADMIN USERS TO RUNTIME"}) {
    expect_syntax_error(sql);
  }
  auto r = parse_statement("LOAD GENAI VARIABLES TO NOWHERE");
  EXPECT_NE(r.error().message.find("TO RUNTIME"), std::string::npos) << r.error().message;
}

TEST(StatementTest, Checksum) {
  auto c = parse_as<Checksum>("CHECKSUM GENAI VARIABLES");
  EXPECT_EQ(c.layer, Layer::kDisk);
  EXPECT_EQ(c.target, Target::kGenaiVariables);
  c = parse_as<Checksum>("checksum memory mysql users;");
  EXPECT_EQ(c.layer, Layer::kMemory);
  EXPECT_EQ(c.target, Target::kMysqlUsers);
  c = parse_as<Checksum>("CHECKSUM MEM ADMIN VARIABLES");
  EXPECT_EQ(c.layer, Layer::kMemory);
  EXPECT_EQ(c.target, Target::kAdminVariables);
  c = parse_as<Checksum>("CHECKSUM DISK MYSQL SERVERS");
  EXPECT_EQ(c.layer, Layer::kDisk);
  EXPECT_EQ(c.target, Target::kMysqlServers);
  c = parse_as<Checksum>("CHECKSUM RUNTIME MYSQL VARIABLES");
  EXPECT_EQ(c.layer, Layer::kRuntime);
  expect_syntax_error("CHECKSUM");
  expect_syntax_error("CHECKSUM SOMEWHERE GENAI VARIABLES");
  expect_syntax_error("CHECKSUM TABLE mysql_users");
}

TEST(StatementTest, ShowVariants) {
  EXPECT_FALSE(parse_as<ShowVariables>("SHOW VARIABLES").like.has_value());
  EXPECT_EQ(parse_as<ShowVariables>("show variables like 'genai-%';").like, "genai-%");
  EXPECT_EQ(parse_as<ShowVariables>("SHOW GLOBAL VARIABLES LIKE \"mysql-%\"").like, "mysql-%");
  EXPECT_FALSE(parse_as<ShowTables>("SHOW TABLES").schema.has_value());
  EXPECT_EQ(parse_as<ShowTables>("SHOW TABLES FROM stats").schema, "stats");
  EXPECT_EQ(parse_as<ShowTables>("show tables in DISK").schema, "disk");
  parse_as<ShowDatabases>("SHOW DATABASES");
  parse_as<ShowWarnings>("SHOW WARNINGS");
  EXPECT_EQ(parse_as<ShowCreateTable>("SHOW CREATE TABLE `mysql_users`").table, "mysql_users");
  EXPECT_EQ(parse_as<ShowCreateTable>("SHOW CREATE TABLE stats.stats_genai_global").table,
            "stats.stats_genai_global");
  expect_syntax_error("SHOW ENGINES");
  expect_syntax_error("SHOW VARIABLES WHERE x");
  expect_syntax_error("SHOW VARIABLES LIKE 'unterminated");
}

TEST(StatementTest, SelectVariablesAndClientProbes) {
  auto s = parse_as<SelectVariables>("SELECT @@genai-threads");
  ASSERT_EQ(s.items.size(), 1u);
  EXPECT_EQ(s.items[0], "@@genai-threads");
  EXPECT_EQ(s.labels[0], "@@genai-threads");
  s = parse_as<SelectVariables>("select @@version_comment limit 1");
  ASSERT_EQ(s.items.size(), 1u);
  EXPECT_EQ(s.items[0], "@@version_comment");
  s = parse_as<SelectVariables>("SELECT @@GLOBAL.genai-threads, DATABASE(), user()");
  ASSERT_EQ(s.items.size(), 3u);
  EXPECT_EQ(s.items[0], "@@genai-threads");
  EXPECT_EQ(s.labels[0], "@@GLOBAL.genai-threads");
  EXPECT_EQ(s.items[1], "database()");
  EXPECT_EQ(s.items[2], "user()");
}

TEST(StatementTest, PlainSqlPassesThrough) {
  EXPECT_EQ(parse_as<PlainSql>("SELECT * FROM global_variables;").sql,
            "SELECT * FROM global_variables");
  parse_as<PlainSql>("SELECT 1");
  parse_as<PlainSql>("SELECT @@genai-threads + 1");
  parse_as<PlainSql>("INSERT INTO mysql_users (username, password) VALUES ('a','b')");
  parse_as<PlainSql>("UPDATE global_variables SET variable_value='8'");
  parse_as<PlainSql>("DELETE FROM mysql_servers");
  parse_as<PlainSql>("REPLACE INTO mysql_servers (hostname) VALUES ('h')");
  parse_as<TransactionControl>("BEGIN");
  parse_as<TransactionControl>("commit;");
  parse_as<TransactionControl>("START TRANSACTION");
}

TEST(StatementTest, GarbageNeverCrashes) {
  expect_syntax_error("");
  expect_syntax_error("   ;;  ");
  for (auto sql : {"SET", "SET =", "SET genai-", "LOAD", "SAVE", "SHOW", "SELECT", "SELECT @@",
                   "SET genai-threads='", "\x01\x02\xff", "SELECT @@a,", "SHOW CREATE TABLE"}) {
    auto r = parse_statement(sql);
    if (!r) {
      EXPECT_FALSE(r.error().message.empty()) << sql;
    }
  }
}

TEST(StatementTest, UnquoteValue) {
  EXPECT_EQ(unquote_value("abc"), "abc");
  EXPECT_EQ(unquote_value("'a b'"), "a b");
  EXPECT_EQ(unquote_value("\"a\"\"b\""), "a\"b");
  EXPECT_EQ(unquote_value("'x\\ny'"), "x\ny");
  EXPECT_FALSE(unquote_value("'abc").has_value());
  EXPECT_FALSE(unquote_value("'a' junk").has_value());
  EXPECT_EQ(unquote_value("'a' -- why"), "a");
  EXPECT_EQ(unquote_value("_utf8mb4'x'"), "x");
  EXPECT_EQ(unquote_value("  "), "");
  EXPECT_FALSE(unquote_value("it's").has_value());
}

TEST(StatementTest, CommentsBeforeAndAfterTheVerb) {
  auto ls = parse_as<LoadSave>("/* deploy */ LOAD GENAI VARIABLES TO RUNTIME");
  EXPECT_EQ(ls.transfer, Transfer::kMemoryToRuntime);
  parse_as<ShowTables>("-- list\nSHOW TABLES");
  parse_as<ShowDatabases>("# list\nSHOW DATABASES # all of them");
  parse_as<LoadSave>("SAVE MYSQL USERS TO DISK -- now");
  EXPECT_EQ(parse_as<SetVariable>("SET genai-threads = 8 -- eight").value, "8");
  EXPECT_EQ(parse_as<SetVariable>("SET genai-threads = 8 # eight").value, "8");
  EXPECT_EQ(parse_as<SetVariable>("SET genai-threads = /* n */ 8").value, "8");
  // `--` without white space after it is two minus signs, not a comment.
  EXPECT_EQ(parse_as<SetVariable>("SET genai-embedding_model = a--b").value, "a--b");
  EXPECT_EQ(parse_as<PlainSql>("SELECT 1 # why\n;").sql, "SELECT 1");
  EXPECT_EQ(parse_as<PlainSql>("SELECT 2--1").sql, "SELECT 2--1");
}

TEST(StatementTest, ExecutableCommentsAreCode) {
  parse_as<SessionSet>("/*!40101 SET NAMES utf8 */");
  parse_as<SessionSet>("/*!50700 SET SESSION sql_mode = '' */;");
  auto s = parse_as<SetVariable>("/*! SET genai-threads = 3 */");
  EXPECT_EQ(s.name, "genai-threads");
  EXPECT_EQ(s.value, "3");
  EXPECT_EQ(parse_as<SetVariable>("SET genai-threads = /*!50700 4 */").value, "4");
  parse_as<ShowWarnings>("/*M!100100 SHOW WARNINGS */");
}

TEST(StatementTest, StringsHoldWhatLooksLikeSyntax) {
  EXPECT_EQ(parse_as<SetVariable>("SET genai-embedding_model='LOAD; -- x'").value, "LOAD; -- x");
  EXPECT_EQ(parse_as<SetVariable>("SET genai-embedding_model='a#b /* c */'").value, "a#b /* c */");
  EXPECT_EQ(parse_as<SetVariable>("SET genai-embedding_model=\"it's\";").value, "it's");
  EXPECT_EQ(parse_as<SetVariable>("SET genai-embedding_model=\"a\"\"b\"").value, "a\"b");
  EXPECT_EQ(parse_as<SetVariable>("SET genai-embedding_model='a\\tb\\\\'").value, "a\tb\\");
  EXPECT_EQ(parse_as<PlainSql>("SELECT ';' ;").sql, "SELECT ';'");
  EXPECT_EQ(parse_as<PlainSql>("SELECT 'LOAD GENAI VARIABLES TO RUNTIME'").sql,
            "SELECT 'LOAD GENAI VARIABLES TO RUNTIME'");
  EXPECT_EQ(parse_as<SetVariable>("SET genai-embedding_model='a' -- 'b").value, "a");
  expect_syntax_error("SET genai-embedding_model='a' --'b'");
}

TEST(StatementTest, IntroducersAndNationalStrings) {
  EXPECT_EQ(parse_as<SetVariable>("SET genai-embedding_model=_utf8mb4'm1'").value, "m1");
  EXPECT_EQ(parse_as<SetVariable>("SET genai-embedding_model = _latin1 'm2'").value, "m2");
  EXPECT_EQ(parse_as<SetVariable>("SET genai-embedding_model=N'm3'").value, "m3");
  EXPECT_EQ(parse_as<ShowVariables>("SHOW VARIABLES LIKE _utf8mb4'genai-%'").like, "genai-%");
  // Hex and bit literals are not strings: the value is kept as written.
  EXPECT_EQ(parse_as<SetVariable>("SET genai-embedding_model=X'0A'").value, "X'0A'");
  EXPECT_EQ(parse_as<SetVariable>("SET genai-threads=0x10").value, "0x10");
}

TEST(StatementTest, LikePatternKeepsItsEscapes) {
  // The pattern reaches LIKE ... ESCAPE '\': `\_` stays a literal underscore.
  EXPECT_EQ(parse_as<ShowVariables>("SHOW VARIABLES LIKE 'genai-embedding\\_uri'").like,
            "genai-embedding\\_uri");
}

TEST(StatementTest, QuotedNamesInShow) {
  EXPECT_EQ(parse_as<ShowTables>("SHOW TABLES FROM `Stats`").schema, "stats");
  EXPECT_EQ(parse_as<ShowCreateTable>("SHOW CREATE TABLE `stats`.`stats_genai_global`").table,
            "stats.stats_genai_global");
  EXPECT_EQ(parse_as<ShowCreateTable>("show create table main . `mysql_users`").table,
            "main.mysql_users");
  expect_syntax_error("SHOW TABLES FROM 'stats'");
  expect_syntax_error("SHOW CREATE TABLE a.b.c");
}

TEST(StatementTest, SelectItemsAreTokens) {
  auto s = parse_as<SelectVariables>("SELECT @@genai-threads /* n */, DATABASE ( ) LIMIT 1");
  ASSERT_EQ(s.items.size(), 2u);
  EXPECT_EQ(s.items[0], "@@genai-threads");
  EXPECT_EQ(s.labels[0], "@@genai-threads");
  EXPECT_EQ(s.items[1], "database()");
  EXPECT_EQ(s.labels[1], "DATABASE ( )");
  // A name with spaces in it is an expression, for SQLite to read.
  parse_as<PlainSql>("SELECT @@genai - threads");
  parse_as<PlainSql>("SELECT @@genai-threads, ','");
  parse_as<PlainSql>("SELECT @@`genai-threads`");
}

TEST(StatementTest, ReloadTls) {
  parse_as<ReloadTls>("PROXYSQL RELOAD TLS");
  parse_as<ReloadTls>("proxysql reload tls;");
  // Not the verb: handed to SQLite, which rejects it.
  parse_as<PlainSql>("PROXYSQL RELOAD");
  parse_as<PlainSql>("RELOAD TLS");
}

}  // namespace
}  // namespace gp::admin
