#include "genai/result_builder.h"

#include <gtest/gtest.h>

#include <cstring>

#include "genai/errors.h"
#include "genai/number_format.h"

namespace gp::genai {
namespace {

// Every document was sent: row k of the provider's answer is document k.
struct AllSent {
  explicit AllSent(Embeddings e, std::vector<double> s = {})
      : embeddings(std::move(e)), scores(std::move(s)) {
    size_t n = scores.empty() ? embeddings.count : scores.size();
    for (size_t i = 0; i < n; ++i) positions.push_back(i);
  }
  Computed computed() const { return {embeddings, scores, positions, positions.size()}; }
  Embeddings embeddings;
  std::vector<double> scores;
  std::vector<size_t> positions;
};

Documents docs(std::initializer_list<const char*> texts) {
  Documents out;
  for (const char* t : texts) {
    out.push_back(t ? std::optional<std::string>(t) : std::nullopt);
  }
  return out;
}

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
  AllSent e(make({{1, 2}, {3, 4}}));
  auto rs = embed_result(e.computed(), EmbedFormat::kCsv);
  ASSERT_EQ(rs.columns.size(), 1u);
  EXPECT_EQ(rs.columns[0].name, "embedding");
  EXPECT_EQ(rs.columns[0].type, mysql::Column::text("x").type);
  ASSERT_EQ(rs.rows.size(), 2u);
  EXPECT_EQ(*rs.rows[0][0], "1,2");
  EXPECT_EQ(*rs.rows[1][0], "3,4");
  auto bin = embed_result(e.computed(), EmbedFormat::kBinary);
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
  AllSent r({}, {0.1, 7.7, -11.0});
  auto rs = rerank_result(r.computed(), docs({"a", "b", "c"}), 2, 3);
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
  AllSent r({}, {0.25, 0.75});
  auto rs = rerank_result(r.computed(), docs({"a", "b"}), 0, 2);
  ASSERT_EQ(rs.columns.size(), 2u);
  EXPECT_EQ(rs.rows, (std::vector<mysql::Row>{{"1", "0.75"}, {"0", "0.25"}}));
}

TEST(EmbedResult, BlankDocumentsGetNullRowsInPlace) {
  // Documents 0 and 2 were blank; the provider saw documents 1 and 3.
  Embeddings e = make({{1, 2}, {3, 4}});
  std::vector<size_t> positions{1, 3};
  auto rs = embed_result({e, {}, positions, 4}, EmbedFormat::kCsv);
  ASSERT_EQ(rs.rows.size(), 4u);
  EXPECT_EQ(rs.rows[0], (mysql::Row{std::nullopt}));
  EXPECT_EQ(rs.rows[1], (mysql::Row{"1,2"}));
  EXPECT_EQ(rs.rows[2], (mysql::Row{std::nullopt}));
  EXPECT_EQ(rs.rows[3], (mysql::Row{"3,4"}));
}

TEST(RerankResult, BlankDocumentsScoreNullAfterEveryScoredRow) {
  Embeddings none;
  std::vector<double> scores{-5.0, 0.5};  // for documents 1 and 3
  std::vector<size_t> positions{1, 3};
  auto rs = rerank_result({none, scores, positions, 4}, docs({nullptr, "b", "  ", "d"}), 0, 3);
  ASSERT_EQ(rs.rows.size(), 4u);
  EXPECT_EQ(rs.rows[0], (mysql::Row{"3", "0.5", "d"}));
  EXPECT_EQ(rs.rows[1], (mysql::Row{"1", "-5", "b"}));
  EXPECT_EQ(rs.rows[2], (mysql::Row{"0", std::nullopt, std::nullopt}));
  EXPECT_EQ(rs.rows[3], (mysql::Row{"2", std::nullopt, "  "}));
  auto cut = rerank_result({none, scores, positions, 4}, docs({nullptr, "b", "  ", "d"}), 3, 2);
  EXPECT_EQ(cut.rows, (std::vector<mysql::Row>{{"3", "0.5"}, {"1", "-5"}, {"0", std::nullopt}}));
}

mysql::ResultSet source_rows() {
  mysql::ResultSet rs;
  rs.columns = {mysql::Column::text("body"), mysql::Column::bigint("id")};
  rs.rows = {{"first", "10"}, {"second", "20"}, {"third", std::nullopt}};
  return rs;
}

TEST(DocumentFromSql, DocumentsAreTheFirstColumn) {
  GenaiSettings s;
  auto d = documents_from_rows(source_rows(), s);
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, docs({"first", "second", "third"}));
}

TEST(DocumentFromSql, NullDocumentsAreKeptAndTooManyRowsAreNamed) {
  GenaiSettings s;
  auto rs = source_rows();
  rs.rows[1][0] = std::nullopt;
  auto r = documents_from_rows(rs, s);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, docs({"first", nullptr, "third"}));
  s.max_documents = 2;
  r = documents_from_rows(source_rows(), s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("genai-max_documents=2"), std::string::npos);
  mysql::ResultSet none;
  EXPECT_FALSE(documents_from_rows(none, s));
}

TEST(DocumentFromSql, RerankAddsScoreAndSorts) {
  AllSent r({}, {0.2, 0.9, 0.5});
  auto rs = rerank_result_from_sql(source_rows(), r.computed(), 2);
  ASSERT_EQ(rs.columns.size(), 3u);
  EXPECT_EQ(rs.columns[0].name, "body");
  EXPECT_EQ(rs.columns[2].name, "score");
  ASSERT_EQ(rs.rows.size(), 2u);
  EXPECT_EQ(rs.rows[0], (mysql::Row{"second", "20", "0.9"}));
  EXPECT_EQ(rs.rows[1], (mysql::Row{"third", std::nullopt, "0.5"}));
}

TEST(DocumentFromSql, EmbedAddsEmbeddingColumn) {
  AllSent e(make({{1}, {2}, {3}}));
  auto rs = embed_result_from_sql(source_rows(), e.computed(), EmbedFormat::kJson);
  ASSERT_EQ(rs.columns.size(), 3u);
  EXPECT_EQ(rs.columns[2].name, "embedding");
  EXPECT_EQ(rs.rows[2], (mysql::Row{"third", std::nullopt, "[3]"}));
}

}  // namespace
}  // namespace gp::genai
