#include <gtest/gtest.h>

#include <string>

#include "sql/sql.h"

namespace gp::sql {
namespace {

AiStatement found(std::string_view sql, LexOptions options = {}) {
  auto r = find_ai_functions(sql, options);
  EXPECT_TRUE(r.has_value()) << sql << ": " << (r ? "" : r.error().message);
  return r ? *r : AiStatement{};
}

Error refused(std::string_view sql) {
  auto r = find_ai_functions(sql);
  EXPECT_FALSE(r.has_value()) << sql;
  return r ? Error{} : r.error();
}

TEST(MentionsAiFunctions, IsCaseInsensitiveAndNeedsTheUnderscore) {
  EXPECT_TRUE(mentions_ai_functions("select GeNaI_embed('x')"));
  EXPECT_TRUE(mentions_ai_functions("genai_"));
  EXPECT_FALSE(mentions_ai_functions("GENAI: {}"));
  EXPECT_FALSE(mentions_ai_functions("select 1"));
  EXPECT_FALSE(mentions_ai_functions("_genai"));
}

TEST(FindAiFunctions, ConstantArgumentsAnywhere) {
  auto s = found("INSERT INTO t VALUES (1, GENAI_EMBED('a' 'b'), genai_embed_binary (X'4142'))");
  ASSERT_EQ(s.calls.size(), 2u);
  EXPECT_EQ(s.calls[0].function, AiFunction::kEmbed);
  EXPECT_EQ(s.calls[0].arguments[0].value, "ab");
  EXPECT_EQ(s.calls[1].function, AiFunction::kEmbedBinary);
  EXPECT_EQ(s.calls[1].arguments[0].value, "AB");
  EXPECT_FALSE(s.has_row_calls());
  EXPECT_FALSE(s.local);
}

TEST(FindAiFunctions, LiteralForms) {
  auto s = found(
      "SELECT GENAI_EMBED(_utf8mb4'x'), GENAI_EMBED(NULL), GENAI_EMBED(0x414), GENAI_EMBED(N'y'), "
      "GENAI_EMBED(b'01000001'), GENAI_EMBED(-1.5), GENAI_EMBED(_latin1'\xe9')");
  ASSERT_EQ(s.calls.size(), 7u);
  EXPECT_EQ(s.calls[0].arguments[0].value, "x");
  EXPECT_EQ(s.calls[1].arguments[0].value, std::nullopt);
  EXPECT_EQ(s.calls[2].arguments[0].value, std::string("\x04\x14"));
  EXPECT_EQ(s.calls[3].arguments[0].value, "y");
  EXPECT_EQ(s.calls[4].arguments[0].value, "A");
  EXPECT_EQ(s.calls[5].arguments[0].value, "-1.5");
  EXPECT_EQ(s.calls[6].arguments[0].value, "\xc3\xa9");
  ASSERT_TRUE(s.local);
  EXPECT_EQ(s.local->size(), 7u);
}

TEST(FindAiFunctions, EscapesFollowTheSessionMode) {
  EXPECT_EQ(found(R"(SELECT GENAI_EMBED('a\'b'))").calls[0].arguments[0].value, "a'b");
  LexOptions nbe;
  nbe.no_backslash_escapes = true;
  EXPECT_EQ(found(R"(SELECT GENAI_EMBED('a\b'))", nbe).calls[0].arguments[0].value, "a\\b");
}

TEST(FindAiFunctions, NeverInStringsIdentifiersOrComments) {
  EXPECT_TRUE(found("SELECT 'GENAI_EMBED(x)'").calls.empty());
  EXPECT_TRUE(found("SELECT `GENAI_EMBED(x)` FROM t").calls.empty());
  EXPECT_TRUE(found("SELECT 1 -- GENAI_EMBED(x)\n").calls.empty());
  EXPECT_TRUE(found("SELECT 1 # GENAI_EMBED(x)\n").calls.empty());
  EXPECT_TRUE(found("SELECT /* GENAI_EMBED(x) */ 1").calls.empty());
  EXPECT_TRUE(found("SELECT genai_embed_x(1), db.genai_embed('x')").calls.empty());
  LexOptions ansi;
  ansi.ansi_quotes = true;
  EXPECT_TRUE(found("SELECT \"GENAI_EMBED(x)\" FROM t", ansi).calls.empty());
}

TEST(FindAiFunctions, InsideExecutableComments) {
  auto s = found("SELECT id, /*!50700 GENAI_EMBED(body) AS e */ FROM t");
  ASSERT_EQ(s.calls.size(), 1u);
  EXPECT_TRUE(s.calls[0].row());
  EXPECT_TRUE(s.calls[0].item);
  EXPECT_EQ(s.calls[0].column_name, "e");
  EXPECT_EQ(s.calls[0].column, 1u);
}

TEST(FindAiFunctions, ParametersAreNumberedInTextOrder) {
  auto s = found("INSERT INTO t (a, b, c) VALUES (?, GENAI_EMBED(?), GENAI_RERANK(?, ?))");
  EXPECT_EQ(s.parameters, 4u);
  ASSERT_EQ(s.calls.size(), 2u);
  EXPECT_EQ(s.calls[0].arguments[0].kind, AiArgument::Kind::kParameter);
  EXPECT_EQ(s.calls[0].arguments[0].parameter, 1u);
  EXPECT_EQ(s.calls[1].arguments[1].parameter, 3u);
}

TEST(FindAiFunctions, RowArgumentsInTheSelectList) {
  auto s = found("SELECT id, GENAI_EMBED(body), GENAI_RERANK('q', title) score FROM t WHERE x = 1");
  ASSERT_EQ(s.calls.size(), 2u);
  EXPECT_TRUE(s.calls[0].row());
  EXPECT_EQ(s.calls[0].column_name, "GENAI_EMBED(body)");
  EXPECT_EQ(s.calls[0].column, 1u);
  EXPECT_EQ(s.calls[1].column_name, "score");
  EXPECT_EQ(s.calls[1].column, 2u);
  EXPECT_FALSE(s.order);
}

TEST(FindAiFunctions, ColumnsAfterAStarCountFromTheEnd) {
  auto s = found("SELECT *, GENAI_EMBED(body) AS e, id FROM t");
  EXPECT_TRUE(s.calls[0].column_from_end);
  EXPECT_EQ(s.calls[0].column, 1u);
  EXPECT_EQ(refused("SELECT *, GENAI_EMBED(body), t.* FROM t").code, errc::kGenaiInvalidRequest);
}

TEST(FindAiFunctions, OrderByAComputedColumn) {
  auto s = found(
      "SELECT id, GENAI_RERANK('q', body) AS score FROM (SELECT id, body FROM t ORDER BY id LIMIT "
      "100) AS c ORDER BY score DESC LIMIT 10");
  ASSERT_TRUE(s.order);
  EXPECT_TRUE(s.order->descending);
  EXPECT_EQ(s.order->limit, 10u);
  EXPECT_EQ(s.order->offset, 0u);
  auto p = found("SELECT id, GENAI_RERANK('q', body) FROM t ORDER BY 2 LIMIT 5, 3");
  ASSERT_TRUE(p.order);
  EXPECT_FALSE(p.order->descending);
  EXPECT_EQ(p.order->offset, 5u);
  EXPECT_EQ(p.order->limit, 3u);
  auto o = found("SELECT id, GENAI_RERANK('q', body) AS s FROM t ORDER BY s LIMIT 3 OFFSET 1");
  EXPECT_EQ(o.order->offset, 1u);
  EXPECT_FALSE(found("SELECT id, GENAI_EMBED(body) AS e FROM t ORDER BY id").order);
  auto bad = refused("SELECT id, GENAI_RERANK('q', body) AS s FROM t ORDER BY s, id");
  EXPECT_NE(bad.message.find("last clause"), std::string::npos) << bad.message;
}

TEST(FindAiFunctions, RowArgumentsElsewhereAreRefused) {
  auto where = refused("SELECT id FROM t WHERE GENAI_EMBED(body) IS NULL");
  EXPECT_NE(where.message.find("GENAI_EMBED at byte 23"), std::string::npos) << where.message;
  auto update = refused("UPDATE t SET v = GENAI_EMBED(body)");
  EXPECT_NE(update.message.find("embedding job"), std::string::npos) << update.message;
  refused("SELECT id FROM (SELECT GENAI_EMBED(body) FROM t) AS x");
  refused("SELECT LENGTH(GENAI_EMBED(body)) FROM t");
  auto query = refused("SELECT GENAI_RERANK(title, body) FROM t");
  EXPECT_NE(query.message.find("query"), std::string::npos);
}

TEST(FindAiFunctions, BadCallsAreRefused) {
  EXPECT_NE(refused("SELECT GENAI_EMBED()").message.find("takes 1 or 2 arguments"),
            std::string::npos);
  refused("SELECT GENAI_RERANK('q')");
  refused("SELECT GENAI_EMBED('a', 'm', 'x')");
  refused("SELECT GENAI_EMBED('a', body) FROM t");
  refused("SELECT GENAI_EMBED(GENAI_EMBED('a'))");
  refused("SELECT GENAI_EMBED('a'");
  refused("SELECT GENAI_EMBED(_sjis'a')");
  EXPECT_EQ(found("SELECT GENAI_EMBED('a', 'm')").calls[0].model, "m");
}

TEST(FindAiFunctions, LocalAnswersNeedNoFrom) {
  auto s = found("SELECT GENAI_EMBED('hello') AS v, 42, 'x' AS s, NULL");
  ASSERT_TRUE(s.local);
  ASSERT_EQ(s.local->size(), 4u);
  EXPECT_EQ((*s.local)[0].column_name, "v");
  EXPECT_TRUE((*s.local)[1].number);
  EXPECT_EQ((*s.local)[2].column_name, "s");
  EXPECT_FALSE((*s.local)[3].value);
  EXPECT_FALSE(found("SELECT GENAI_EMBED('hello'), NOW()").local);
  EXPECT_FALSE(found("SELECT GENAI_EMBED('hello') FROM dual WHERE 1").local);
}

TEST(FindAiFunctions, WithClauseThenSelect) {
  auto s = found("WITH c AS (SELECT id, body FROM t LIMIT 5) SELECT id, GENAI_EMBED(body) FROM c");
  ASSERT_EQ(s.calls.size(), 1u);
  EXPECT_TRUE(s.calls[0].item);
}

TEST(Literals, ReadBackAsTheirValues) {
  EXPECT_EQ(double_literal(0.5), "5e-01");
  EXPECT_EQ(hex_literal("AB"), "X'4142'");
  EXPECT_EQ(replace_ranges("abcdef", {{1, 2, "X"}, {4, 6, ""}}), "aXcd");
}

}  // namespace
}  // namespace gp::sql
