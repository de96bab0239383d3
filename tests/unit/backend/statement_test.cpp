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

// Comments follow the server's rules: `-- ` needs white space or a control
// character after it, `#` runs to the end of the line, and markers inside
// strings are not comments.
TEST(ClassifyStatement, CommentsFollowTheServersRules) {
  for (const char* sql : {"SELECT 1 --\x01@x", "SELECT 1 # SET @x=1\n", "SELECT 1 -- @x",
                          "SELECT '-- ' 'x' /* @y */", "SELECT 1 /* SET @x */ -- \n"}) {
    EXPECT_FALSE(classify_statement(sql).pins) << sql;
  }
  for (const char* sql :
       {"SELECT 2--@x", "SELECT '#', @x", "SELECT '/*', @x, '*/'", "SELECT 1 # c\n, @x"}) {
    EXPECT_TRUE(classify_statement(sql).pins) << sql;
  }
}

TEST(ClassifyStatement, ExecutableCommentsAreCode) {
  for (const char* sql :
       {"/*!50700 SET SESSION sql_mode='' */", "/*M!100100 SET @x=1 */", "SELECT 1 /*!, @x */",
        "/*!50001 CREATE TEMPORARY TABLE t (a INT) */", "/*!999999 LOCK TABLES t READ */",
        "SELECT 1; /*!40101 SET NAMES utf8 */;"}) {
    EXPECT_TRUE(classify_statement(sql).pins) << sql;
  }
  auto t = classify_statement("/*!40101 USE shop */");
  EXPECT_FALSE(t.pins);
  ASSERT_TRUE(t.use_schema);
  EXPECT_EQ(*t.use_schema, "shop");
  // A quote inside one is a string: its `*/` does not end the comment.
  EXPECT_TRUE(classify_statement("/*! SELECT '*/', @x */").pins);
  EXPECT_FALSE(classify_statement("/* SELECT '*/ SELECT 1").pins);
}

TEST(ClassifyStatement, LiteralsHideWhatTheyHold) {
  for (const char* sql :
       {"SELECT 'a;SET @x=1'", "SELECT _utf8mb4'@x'", "SELECT _latin1 'LOCK'", "SELECT N'SET @x'",
        "SELECT X'40', x'4C4F434B', B'01', 0x40", "SELECT `TEMPORARY`, 'GET_LOCK('",
        "INSERT INTO t VALUES ('FOUND_ROWS')"}) {
    EXPECT_FALSE(classify_statement(sql).pins) << sql;
  }
  auto t = classify_statement("SELECT ';USE x'; USE shop");
  EXPECT_FALSE(t.pins);
  ASSERT_TRUE(t.use_schema);
  EXPECT_EQ(*t.use_schema, "shop");
}

// The session's sql_mode is unknown here: a backslash that ends a string
// under NO_BACKSLASH_ESCAPES (or a "..." identifier under ANSI_QUOTES) can
// expose a user variable that the default reading keeps inside a string.
TEST(ClassifyStatement, EveryReadingOfBackslashesIsConsidered) {
  EXPECT_TRUE(classify_statement("SELECT 'a\\', @x := 1, 'b'").pins);
  EXPECT_TRUE(classify_statement("SELECT \"a\\\", @x := 1, \"b\"").pins);
  EXPECT_TRUE(classify_statement("SELECT 'a\\'; SET autocommit = 0; SELECT '").pins);
  EXPECT_FALSE(classify_statement("SELECT 'a\\\\', 'b\\'c'").pins);
  // Schemas the readings disagree on are not taken.
  auto t = classify_statement("USE shop; SELECT 'a\\'; USE other; SELECT '");
  EXPECT_FALSE(t.use_schema);
  EXPECT_TRUE(t.pins);
  t = classify_statement("SELECT 'a\\\\'; USE shop");
  ASSERT_TRUE(t.use_schema);
  EXPECT_EQ(*t.use_schema, "shop");
  EXPECT_FALSE(t.pins);
  // "db" is a string unless ANSI_QUOTES: not a name that can be trusted.
  t = classify_statement("USE \"shop\"");
  EXPECT_TRUE(t.pins);
  EXPECT_FALSE(t.use_schema);
}

}  // namespace
}  // namespace gp::backend
