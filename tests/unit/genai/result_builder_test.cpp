#include "genai/result_builder.h"

#include <gtest/gtest.h>

#include <cstring>

#include "genai/errors.h"
#include "genai/number_format.h"

namespace gp::genai {
namespace {

Embeddings make(std::vector<std::vector<double>> rows, bool single = false) {
  Embeddings e;
  e.count = rows.size();
  e.dimension = rows.empty() ? 0 : rows[0].size();
  for (auto& r : rows) e.values.insert(e.values.end(), r.begin(), r.end());
  e.single_precision = single;
  return e;
}

TEST(NumberFormat, ShortestRoundTrip) {
  EXPECT_EQ(format_double(0.1), "0.1");
  EXPECT_EQ(format_double(1e-7), "1e-07");
  EXPECT_EQ(format_double(-0.0123), "-0.0123");
  EXPECT_EQ(format_double(0.1234567890123456789), "0.12345678901234568");
  EXPECT_EQ(format_double(2.0), "2");
  EXPECT_EQ(format_double(4.9e-06), "4.9e-06");
  double parsed = std::stod(format_double(0.30000000000000004));
  EXPECT_EQ(parsed, 0.30000000000000004);
}

TEST(FormatEmbedding, CsvAndJson) {
  auto e = make({{0.1, -2, 1e-7}, {3, 4, 5}});
  EXPECT_EQ(format_embedding(e, 0, EmbedFormat::kCsv), "0.1,-2,1e-07");
  EXPECT_EQ(format_embedding(e, 1, EmbedFormat::kJson), "[3,4,5]");
}

TEST(FormatEmbedding, Float32ValuesPrintAsFloats) {
  auto e = make({{static_cast<double>(0.1f), 0.5}}, true);
  EXPECT_EQ(format_embedding(e, 0, EmbedFormat::kCsv), "0.1,0.5");
}

TEST(FormatEmbedding, BinaryIsFloat32LittleEndian) {
  auto e = make({{1.0, -0.5}});
  std::string bytes = format_embedding(e, 0, EmbedFormat::kBinary);
  ASSERT_EQ(bytes.size(), 8u);
  EXPECT_EQ(bytes, std::string("\x00\x00\x80\x3f\x00\x00\x00\xbf", 8));
}

TEST(EmbedResult, OneRowPerDocumentWithTypedColumn) {
  auto e = make({{1, 2}, {3, 4}});
  auto rs = embed_result(e, EmbedFormat::kCsv);
  ASSERT_EQ(rs.columns.size(), 1u);
  EXPECT_EQ(rs.columns[0].name, "embedding");
  EXPECT_EQ(rs.columns[0].type, mysql::Column::text("x").type);
  ASSERT_EQ(rs.rows.size(), 2u);
  EXPECT_EQ(*rs.rows[0][0], "1,2");
  EXPECT_EQ(*rs.rows[1][0], "3,4");
  auto bin = embed_result(e, EmbedFormat::kBinary);
  EXPECT_EQ(bin.columns[0].type, mysql::Column::blob("x").type);
  EXPECT_EQ(bin.rows[1][0]->size(), 8u);
}

TEST(RankOrder, SortsDescendingTiesByIndexAndCuts) {
  std::vector<double> scores{0.5, 0.9, 0.5, -1, 0.9};
  EXPECT_EQ(rank_order(scores, 0), (std::vector<size_t>{1, 4, 0, 2, 3}));
  EXPECT_EQ(rank_order(scores, 3), (std::vector<size_t>{1, 4, 0}));
  EXPECT_EQ(rank_order(scores, 99), (std::vector<size_t>{1, 4, 0, 2, 3}));
  EXPECT_EQ(rank_order(scores, 1), (std::vector<size_t>{1}));
}

TEST(RerankResult, ThreeColumns) {
  std::vector<double> scores{0.1, 7.7, -11.0};
  auto rs = rerank_result(scores, {"a", "b", "c"}, 2, 3);
  ASSERT_EQ(rs.columns.size(), 3u);
  EXPECT_EQ(rs.columns[0].name, "index");
  EXPECT_EQ(rs.columns[1].name, "score");
  EXPECT_EQ(rs.columns[2].name, "document");
  EXPECT_EQ(rs.columns[0].type, mysql::Column::bigint("x").type);
  EXPECT_EQ(rs.columns[1].type, mysql::Column::dbl("x").type);
  ASSERT_EQ(rs.rows.size(), 2u);
  EXPECT_EQ(rs.rows[0], (mysql::Row{"1", "7.7", "b"}));
  EXPECT_EQ(rs.rows[1], (mysql::Row{"0", "0.1", "a"}));
}

TEST(RerankResult, TwoColumns) {
  std::vector<double> scores{0.25, 0.75};
  auto rs = rerank_result(scores, {"a", "b"}, 0, 2);
  ASSERT_EQ(rs.columns.size(), 2u);
  EXPECT_EQ(rs.rows, (std::vector<mysql::Row>{{"1", "0.75"}, {"0", "0.25"}}));
}

mysql::ResultSet source_rows() {
  mysql::ResultSet rs;
  rs.columns = {mysql::Column::text("body"), mysql::Column::bigint("id")};
  rs.rows = {{"first", "10"}, {"second", "20"}, {"third", std::nullopt}};
  return rs;
}

TEST(DocumentFromSql, DocumentsAreTheFirstColumn) {
  GenaiSettings s;
  auto docs = documents_from_rows(source_rows(), s);
  ASSERT_TRUE(docs);
  EXPECT_EQ(*docs, (std::vector<std::string>{"first", "second", "third"}));
}

TEST(DocumentFromSql, NullEmptyAndTooManyRowsAreNamed) {
  GenaiSettings s;
  auto rs = source_rows();
  rs.rows[1][0] = std::nullopt;
  auto r = documents_from_rows(rs, s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::kInvalidRequest);
  EXPECT_NE(r.error().message.find("row 2"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("NULL"), std::string::npos);
  rs.rows[1][0] = "";
  r = documents_from_rows(rs, s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("empty"), std::string::npos);
  s.max_documents = 2;
  r = documents_from_rows(source_rows(), s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("genai-max_documents=2"), std::string::npos);
  mysql::ResultSet none;
  EXPECT_FALSE(documents_from_rows(none, s));
}

TEST(DocumentFromSql, RerankAddsScoreAndSorts) {
  std::vector<double> scores{0.2, 0.9, 0.5};
  auto rs = rerank_result_from_sql(source_rows(), scores, 2);
  ASSERT_EQ(rs.columns.size(), 3u);
  EXPECT_EQ(rs.columns[0].name, "body");
  EXPECT_EQ(rs.columns[2].name, "score");
  ASSERT_EQ(rs.rows.size(), 2u);
  EXPECT_EQ(rs.rows[0], (mysql::Row{"second", "20", "0.9"}));
  EXPECT_EQ(rs.rows[1], (mysql::Row{"third", std::nullopt, "0.5"}));
}

TEST(DocumentFromSql, EmbedAddsEmbeddingColumn) {
  auto e = make({{1}, {2}, {3}});
  auto rs = embed_result_from_sql(source_rows(), e, EmbedFormat::kJson);
  ASSERT_EQ(rs.columns.size(), 3u);
  EXPECT_EQ(rs.columns[2].name, "embedding");
  EXPECT_EQ(rs.rows[2], (mysql::Row{"third", std::nullopt, "[3]"}));
}

}  // namespace
}  // namespace gp::genai
