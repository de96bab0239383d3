#include "backend/statement.h"

#include <gtest/gtest.h>

namespace gp::backend {
namespace {

TEST(ClassifyStatement, PlainStatementsDoNotPin) {
  for (const char* sql :
       {"SELECT 1", "select * from t where a = 'SET @x'", "INSERT INTO t VALUES (1)",
        "UPDATE t SET a = 1", "BEGIN", "COMMIT", "DROP TABLE t", "SELECT @@session.autocommit",
        "SELECT `@x` FROM t", "SELECT 1 -- SET @x=1", "/* LOCK TABLES */ SELECT 2",
        "SELECT 'it''s @here'", "SELECT \"a\\\" @b\""}) {
    EXPECT_FALSE(classify_statement(sql).pins) << sql;
  }
}

TEST(ClassifyStatement, StateChangingStatementsPin) {
  for (const char* sql : {"SET NAMES utf8mb4",
                          "set autocommit=0",
                          "SET @a = 1",
                          "SELECT @a := 5",
                          "SELECT 1 INTO @x",
                          "  \n set session sql_mode=''",
                          "CREATE TEMPORARY TABLE t (a INT)",
                          "LOCK TABLES t WRITE",
                          "SELECT GET_LOCK('a', 1)",
                          "PREPARE s FROM 'SELECT 1'",
                          "EXECUTE s",
                          "SELECT SQL_CALC_FOUND_ROWS * FROM t",
                          "SELECT FOUND_ROWS()",
                          "SELECT 1; SET @x = 2",
                          "/*!40101 SET NAMES utf8 */",
                          "# comment\nSET @y=1",
                          "XA START 'x'",
                          "CALL p()",
                          "HANDLER t OPEN",
                          "SELECT @`quoted var`",
                          "SELECT LAST_INSERT_ID(5)",
                          "USE"}) {
    EXPECT_TRUE(classify_statement(sql).pins) << sql;
  }
}

TEST(ClassifyStatement, UseReadsTheSchemaName) {
  auto t = classify_statement("USE shop");
  EXPECT_FALSE(t.pins);
  ASSERT_TRUE(t.use_schema);
  EXPECT_EQ(*t.use_schema, "shop");

  t = classify_statement("use `my``db` ;");
  EXPECT_FALSE(t.pins);
  ASSERT_TRUE(t.use_schema);
  EXPECT_EQ(*t.use_schema, "my`db");

  t = classify_statement("USE MixedCase");
  ASSERT_TRUE(t.use_schema);
  EXPECT_EQ(*t.use_schema, "MixedCase");

  t = classify_statement("SELECT 1; USE second");
  ASSERT_TRUE(t.use_schema);
  EXPECT_EQ(*t.use_schema, "second");
  EXPECT_FALSE(t.pins);
}

TEST(ClassifyStatement, UnreadableUsePins) {
  auto t = classify_statement("USE a b");
  EXPECT_TRUE(t.pins);
  EXPECT_FALSE(t.use_schema);
}

// Found by the client_command fuzz target: these used to yield an empty
// schema name.
TEST(ClassifyStatement, UnterminatedOrEmptyQuotedSchemaIsNotAName) {
  for (const char* sql : {"USE `", "USE `shop", "USE ``", "/* c */ USE `"}) {
    auto t = classify_statement(sql);
    EXPECT_TRUE(t.pins) << sql;
    EXPECT_FALSE(t.use_schema) << sql;
  }
  auto t = classify_statement("USE `a``b`");
  ASSERT_TRUE(t.use_schema);
  EXPECT_EQ(*t.use_schema, "a`b");
}

}  // namespace
}  // namespace gp::backend
