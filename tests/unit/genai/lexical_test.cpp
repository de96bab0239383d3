#include "genai/lexical.h"

#include <gtest/gtest.h>

#include <cmath>

#include "genai/result_builder.h"

namespace gp::genai::lexical {
namespace {

double norm(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

TEST(Lexical, Tokenize) {
  EXPECT_EQ(tokenize("Hello, WORLD! x2-y_z"),
            (std::vector<std::string>{"hello", "world", "x2", "y", "z"}));
  EXPECT_EQ(tokenize("Café crème 日本語"),
            (std::vector<std::string>{"caf\xc3\xa9", "cr\xc3\xa8me", "日本語"}));
  EXPECT_TRUE(tokenize(" ,.;!").empty());
}

TEST(Lexical, Fnv1aKnownValues) {
  EXPECT_EQ(fnv1a(""), 14695981039346656037ull);
  EXPECT_EQ(fnv1a("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a("foobar"), 0x85944171f73967e8ull);
}

TEST(Lexical, EmbedIsDeterministicUnitLength) {
  auto a = embed("The quick brown fox", 64);
  auto b = embed("The quick brown fox", 64);
  ASSERT_EQ(a.size(), 64u);
  EXPECT_EQ(a, b);
  EXPECT_NEAR(norm(a), 1.0, 1e-12);
}

TEST(Lexical, CaseAndPunctuationInsensitive) {
  EXPECT_EQ(embed("Quick, brown FOX!", 128), embed("quick brown fox", 128));
}

TEST(Lexical, WordOrderMattersThroughBigrams) {
  auto a = embed("dog bites man", 4096);
  auto b = embed("man bites dog", 4096);
  EXPECT_NE(a, b);
  EXPECT_GT(dot(a, b), 0.3);  // same unigrams
  EXPECT_LT(dot(a, b), 0.99);
}

TEST(Lexical, SimilarTextsAreCloser) {
  auto q = embed("mysql proxy connection pool", 384);
  auto near = embed("a connection pool for a mysql proxy", 384);
  auto far = embed("baking sourdough bread at home", 384);
  EXPECT_GT(dot(q, near), dot(q, far) + 0.3);
}

TEST(Lexical, NoWordsStillUnitVector) {
  auto v = embed("!!! ???", 16);
  EXPECT_NEAR(norm(v), 1.0, 1e-12);
  for (double x : v) EXPECT_FALSE(std::isnan(x));
  EXPECT_NE(embed("!!!", 16), embed("???", 16));
}

TEST(Lexical, TermFrequencyIsSublinear) {
  // "a a" gives feature a weight 1+ln 2 and bigram "a a" weight 1.
  int dim = 4096;
  auto v = embed("a a", dim);
  size_t ua = fnv1a("a") % dim;
  size_t ba = fnv1a("a", fnv1a(" ", fnv1a("a"))) % dim;
  ASSERT_NE(ua, ba);
  EXPECT_NEAR(std::fabs(v[ua]) / std::fabs(v[ba]), 1 + std::log(2.0), 1e-12);
}

TEST(Lexical, EmbedAll) {
  std::vector<std::string> docs{"one", "two three"};
  auto e = embed_all(docs, 32);
  EXPECT_EQ(e.count, 2u);
  EXPECT_EQ(e.dimension, 32u);
  std::vector<double> second(e.values.begin() + 32, e.values.end());
  EXPECT_EQ(second, embed("two three", 32));
}

TEST(Bm25, HandCheckedScores) {
  std::vector<std::string> docs{"the cat sat", "the dog", "cat cat cat dog"};
  auto s = bm25("cat", docs);
  // N=3, n(cat)=2: idf = ln(1 + 1.5/2.5); avgdl = 3.
  double idf = std::log(1 + 1.5 / 2.5);
  double d0 = idf * 1 * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 3.0 / 3.0));
  double d2 = idf * 3 * 2.2 / (3 + 1.2 * (0.25 + 0.75 * 4.0 / 3.0));
  EXPECT_NEAR(s[0], d0, 1e-12);
  EXPECT_EQ(s[1], 0.0);
  EXPECT_NEAR(s[2], d2, 1e-12);
  EXPECT_GT(s[2], s[0]);
}

TEST(Bm25, RareTermsWeighMoreAndOrderIsSensible) {
  std::vector<std::string> docs{
      "Paris is the capital of France",
      "The Eiffel tower is in Paris",
      "Berlin is the capital of Germany",
      "Bananas are yellow",
  };
  auto s = bm25("capital of France", docs);
  auto order = rank_order(s, 0);
  EXPECT_EQ(order[0], 0u);
  EXPECT_EQ(order[1], 2u);
  EXPECT_EQ(s[3], 0.0);
  for (double x : s) EXPECT_GE(x, 0.0);
}

TEST(Bm25, NoTokensGivesZeros) {
  std::vector<std::string> docs{"!!!", "???"};
  EXPECT_EQ(bm25("word", docs), (std::vector<double>{0, 0}));
  std::vector<std::string> words{"word"};
  EXPECT_EQ(bm25("...", words), (std::vector<double>{0}));
}

}  // namespace
}  // namespace gp::genai::lexical
