#include "genai/embedding_adapter.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "genai/errors.h"

namespace gp::genai {
namespace {

Result<Embeddings> parse(std::string body, size_t expected) {
  simdjson::dom::parser parser;
  return parse_embedding_answer(body, expected, parser);
}

void expect_invalid(std::string body, size_t expected, std::string_view fragment) {
  auto r = parse(body, expected);
  ASSERT_FALSE(r) << body;
  EXPECT_EQ(r.error().code, errc::kGenaiInvalidAnswer);
  EXPECT_NE(r.error().message.find(fragment), std::string::npos)
      << "'" << fragment << "' not in: " << r.error().message;
}

TEST(EmbeddingBody, InputListAndModel) {
  std::vector<std::string> docs{"a \"q\"", "b"};
  auto body = nlohmann::json::parse(build_embedding_body(docs, "m1", false));
  EXPECT_EQ(body["input"], nlohmann::json::array({"a \"q\"", "b"}));
  EXPECT_EQ(body["model"], "m1");
  // Moved in and back out: the caller's documents are intact.
  EXPECT_EQ(docs[0], "a \"q\"");
  EXPECT_EQ(docs[1], "b");
}

TEST(EmbeddingBody, TeiInputsAndNoModel) {
  std::vector<std::string> docs{"x"};
  auto body = nlohmann::json::parse(build_embedding_body(docs, "", true));
  EXPECT_TRUE(body.contains("inputs"));
  EXPECT_FALSE(body.contains("input"));
  EXPECT_FALSE(body.contains("model"));
}

TEST(EmbeddingBody, TeiPathDetection) {
  EXPECT_TRUE(uses_tei_inputs("http://h:8080/embed"));
  EXPECT_TRUE(uses_tei_inputs("http://h:8080/embed/?x=1"));
  EXPECT_FALSE(uses_tei_inputs("http://h:8080/embedding"));
  EXPECT_FALSE(uses_tei_inputs("http://h:11434/api/embed"));
  EXPECT_FALSE(uses_tei_inputs("http://h:8080/v1/embeddings"));
}

TEST(EmbeddingAnswer, LlamaNativeNestedPairsByIndex) {
  auto r = parse(R"([{"index":1,"embedding":[[0.5,0.25]]},{"index":0,"embedding":[[0.1,-2]]}])", 2);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->count, 2u);
  EXPECT_EQ(r->dimension, 2u);
  EXPECT_EQ(r->values, (std::vector<double>{0.1, -2, 0.5, 0.25}));
  EXPECT_FALSE(r->single_precision);
}

TEST(EmbeddingAnswer, LlamaNativeFlatInner) {
  auto r = parse(R"([{"index":0,"embedding":[1,2,3]}])", 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->values, (std::vector<double>{1, 2, 3}));
}

TEST(EmbeddingAnswer, PerTokenVectorsAreRefused) {
  expect_invalid(R"([{"index":0,"embedding":[[1,2],[3,4]]}])", 1, "pooling");
}

TEST(EmbeddingAnswer, OpenAiShuffled) {
  auto r = parse(R"({"object":"list","data":[
      {"object":"embedding","index":2,"embedding":[3]},
      {"object":"embedding","index":0,"embedding":[1]},
      {"object":"embedding","index":1,"embedding":[2]}],"model":"m"})",
                 3);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->values, (std::vector<double>{1, 2, 3}));
}

TEST(EmbeddingAnswer, OpenAiBase64Float32) {
  // 1.0f = 0000803f, -0.5f = 000000bf, 0.1f = cdcccc3d (little-endian).
  auto r = parse(R"({"data":[{"index":0,"embedding":"AACAPwAAAL/NzMw9"}]})", 1);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->dimension, 3u);
  EXPECT_EQ(r->values[0], 1.0);
  EXPECT_EQ(r->values[1], -0.5);
  EXPECT_EQ(r->values[2], static_cast<double>(0.1f));
  EXPECT_TRUE(r->single_precision);
  expect_invalid(R"({"data":[{"index":0,"embedding":"AAA="}]})", 1, "float32");
  expect_invalid(R"({"data":[{"index":0,"embedding":"AACA"}]})", 1, "float32");
  expect_invalid(R"({"data":[{"index":0,"embedding":"!!!!"}]})", 1, "base64");
}

TEST(EmbeddingAnswer, TeiBarePositional) {
  auto r = parse("[[1.5,2],[3,4]]", 2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->values, (std::vector<double>{1.5, 2, 3, 4}));
}

TEST(EmbeddingAnswer, OllamaPositional) {
  auto r = parse(R"({"model":"m","embeddings":[[1],[2]],"total_duration":5})", 2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->values, (std::vector<double>{1, 2}));
}

TEST(EmbeddingAnswer, OldLlamaSingle) {
  auto r = parse(R"({"embedding":[0.25,0.5]})", 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->values, (std::vector<double>{0.25, 0.5}));
  expect_invalid(R"({"embedding":[0.25,0.5]})", 2, "expected 2 embeddings");
}

TEST(EmbeddingAnswer, FullPrecisionKept) {
  auto r = parse(R"([[0.1234567890123456789, 1e-7, -3.0000000000000004]])", 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->values[0], 0.1234567890123456789);
  EXPECT_EQ(r->values[1], 1e-7);
  EXPECT_EQ(r->values[2], -3.0000000000000004);
}

TEST(EmbeddingAnswer, CountMismatch) {
  expect_invalid("[[1],[2]]", 3, "expected 3 embeddings, the answer has 2");
  expect_invalid(R"({"data":[{"index":0,"embedding":[1]}]})", 2, "expected 2");
  expect_invalid("[]", 1, "expected 1");
}

TEST(EmbeddingAnswer, DimensionMismatch) {
  expect_invalid("[[1,2],[3]]", 2, "embedding 1 has 1 values, others have 2");
  expect_invalid(R"([{"index":0,"embedding":[[1,2]]},{"index":1,"embedding":[[1]]}])", 2,
                 "has 1 values");
}

TEST(EmbeddingAnswer, NullAndNonNumbers) {
  expect_invalid("[[1,null]]", 1, "embedding 0 value 1 is null");
  expect_invalid(R"([[1,"2"]])", 1, "not a number");
  expect_invalid("[[]]", 1, "empty");
  expect_invalid("[[1,NaN]]", 1, "not valid JSON");
  expect_invalid("[[1,1e999]]", 1, "");
}

TEST(EmbeddingAnswer, IndexProblems) {
  expect_invalid(R"([{"index":0,"embedding":[1]},{"index":0,"embedding":[2]}])", 2,
                 "index 0 appears twice");
  expect_invalid(R"([{"index":0,"embedding":[1]},{"index":2,"embedding":[2]}])", 2,
                 "index 2 is out of range");
  expect_invalid(R"([{"index":-1,"embedding":[1]}])", 1, "out of range");
  expect_invalid(R"([{"embedding":[1]}])", 1, "no \"index\"");
  expect_invalid(R"([{"index":"0","embedding":[1]}])", 1, "non-integer");
  expect_invalid(R"([{"index":0}])", 1, "no \"embedding\"");
}

TEST(EmbeddingAnswer, WrongShapesAndNotJson) {
  expect_invalid(R"({"foo":1})", 1, "unrecognised answer shape");
  expect_invalid("[1,2,3]", 1, "unrecognised answer shape");
  expect_invalid("42", 1, "unrecognised answer shape");
  expect_invalid("<html>oops</html>", 1, "not valid JSON");
  expect_invalid(R"([{"index":0,"embedding":[1]})", 1, "not valid JSON");
}

}  // namespace
}  // namespace gp::genai
