#include "genai/rerank_adapter.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "genai/errors.h"
#include "genai/service_error.h"

namespace gp::genai {
namespace {

Result<std::vector<double>> parse(std::string body, size_t expected) {
  simdjson::dom::parser parser;
  return parse_rerank_answer(body, expected, parser);
}

void expect_invalid(std::string body, size_t expected, std::string_view fragment) {
  auto r = parse(body, expected);
  ASSERT_FALSE(r) << body;
  EXPECT_EQ(r.error().code, errc::kGenaiInvalidAnswer);
  EXPECT_NE(r.error().message.find(fragment), std::string::npos)
      << "'" << fragment << "' not in: " << r.error().message;
}

TEST(RerankBody, QueryDocumentsTopNModel) {
  std::vector<std::string> docs{"d1", "d2", "d3"};
  auto body = nlohmann::json::parse(build_rerank_body("what?", docs, "rr"));
  EXPECT_EQ(body["query"], "what?");
  EXPECT_EQ(body["documents"], nlohmann::json::array({"d1", "d2", "d3"}));
  EXPECT_EQ(body["top_n"], 3);  // every score, the proxy cuts itself
  EXPECT_EQ(body["model"], "rr");
  EXPECT_EQ(docs[2], "d3");
  auto no_model = nlohmann::json::parse(build_rerank_body("q", docs, ""));
  EXPECT_FALSE(no_model.contains("model"));
}

TEST(RerankAnswer, JinaShapeShuffledPairsByIndex) {
  auto r = parse(R"({"model":"m","results":[{"index":2,"relevance_score":0.9},
      {"index":0,"relevance_score":-11.5},{"index":1,"relevance_score":4.9e-06}]})",
                 3);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, (std::vector<double>{-11.5, 4.9e-06, 0.9}));
}

TEST(RerankAnswer, CohereWithDocumentObjects) {
  auto r = parse(R"({"id":"x","results":[{"index":0,"document":{"text":"a"},
      "relevance_score":0.5}],"meta":{}})",
                 1);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0], 0.5);
}

TEST(RerankAnswer, TeiShape) {
  auto r = parse(R"([{"index":1,"score":0.7,"text":"b"},{"index":0,"score":0.2}])", 2);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<double>{0.2, 0.7}));
}

TEST(RerankAnswer, Errors) {
  expect_invalid(R"({"results":[{"index":0,"relevance_score":1}]})", 2, "expected 2 scores");
  expect_invalid(R"({"results":[{"index":0,"relevance_score":1},{"index":0,"relevance_score":2}]})",
                 2, "index 0 appears twice");
  expect_invalid(R"({"results":[{"index":5,"relevance_score":1}]})", 1, "out of range");
  expect_invalid(R"({"results":[{"index":0,"relevance_score":null}]})", 1, "null");
  expect_invalid(R"({"results":[{"index":0,"relevance_score":"high"}]})", 1, "not a number");
  expect_invalid(R"({"results":[{"index":0}]})", 1, "relevance_score");
  expect_invalid(R"({"results":[7]})", 1, "not an object");
  expect_invalid(R"({"data":[]})", 1, "unrecognised answer shape");
  expect_invalid("not json", 1, "not valid JSON");
  expect_invalid(R"({"results":[{"index":0,"relevance_score":NaN}]})", 1, "not valid JSON");
}

TEST(ServiceErrorMessage, Shapes) {
  EXPECT_EQ(
      extract_service_message(
          R"({"error":{"code":500,"message":"input is too large to process","type":"server_error"}})"),
      "input is too large to process");
  EXPECT_EQ(
      extract_service_message(R"({"error":"Input validation error","error_type":"Validation"})"),
      "Input validation error");
  EXPECT_EQ(extract_service_message(R"({"message":"invalid api token"})"), "invalid api token");
  EXPECT_EQ(extract_service_message(R"({"detail":"Not Found"})"), "Not Found");
  EXPECT_EQ(extract_service_message(R"({"detail":[{"loc":["body"],"msg":"field required"}]})"),
            R"([{"loc":["body"],"msg":"field required"}])");
  EXPECT_EQ(extract_service_message("  Bad Gateway\n"), "Bad Gateway");
  EXPECT_EQ(extract_service_message(""), "");
}

TEST(ServiceErrorMessage, RawBodyIsTruncatedOnUtf8Boundary) {
  std::string body(511, 'x');
  body += "é";  // two bytes straddling the 512-byte limit
  body += std::string(100, 'y');
  std::string m = extract_service_message(body);
  EXPECT_EQ(m, std::string(511, 'x') + "...");
}

}  // namespace
}  // namespace gp::genai
