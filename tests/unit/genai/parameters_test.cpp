#include "genai/parameters.h"

#include <gtest/gtest.h>

#include "genai/errors.h"

namespace gp::genai {
namespace {

mysql::ParamValue text(std::string s) {
  mysql::ParamValue p;
  p.kind = mysql::ParamValue::Kind::kString;
  p.text = std::move(s);
  return p;
}

mysql::ParamValue integer(int64_t v) {
  mysql::ParamValue p;
  p.kind = mysql::ParamValue::Kind::kSigned;
  p.i = v;
  return p;
}

mysql::ParamValue null() {
  return {};
}

std::string json(std::string_view statement, bool no_backslash_escapes = false) {
  auto r = genai_json(statement, no_backslash_escapes);
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : "";
}

TEST(GenaiJson, PlainJsonIsUnchanged) {
  EXPECT_EQ(json(R"(GENAI: {"type":"embed","documents":["it's","a \"q\" \u00e9"]};)"),
            R"( {"type":"embed","documents":["it's","a \"q\" \u00e9"]};)");
}

TEST(GenaiJson, WholeJsonAsOneLiteral) {
  // As PyMySQL interpolates `GENAI: %s` with the JSON as the argument.
  EXPECT_EQ(json(R"(GENAI: '{\"type\":\"embed\",\"documents\":[\"it\'s\"]}' ;)"),
            R"({"type":"embed","documents":["it's"]})");
  EXPECT_EQ(json(R"(genai: _utf8mb4'{"type":"embed","documents":["a"]}')"),
            R"({"type":"embed","documents":["a"]})");
}

TEST(GenaiJson, LiteralsInValuePositionsBecomeJsonStrings) {
  EXPECT_EQ(json(R"(GENAI: {"query":'red \'fruit\'',"documents":['a''b', 'tab\there', "x"]})"),
            R"( {"query":"red 'fruit'","documents":["a'b", "tab\there", "x"]})");
  EXPECT_EQ(json(R"(GENAI: {"documents":['back\\slash "q"']})"),
            R"( {"documents":["back\\slash \"q\""]})");
}

TEST(GenaiJson, NoBackslashEscapesMode) {
  EXPECT_EQ(json(R"(GENAI: {"documents":['a\b']})", true), R"( {"documents":["a\\b"]})");
}

TEST(GenaiJson, ParameterInTextQueryAndUnterminatedLiteralAreInvalid) {
  auto p = genai_json(R"(GENAI: {"type":"embed","documents":[?]})");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, errc::kGenaiInvalidRequest);
  EXPECT_NE(p.error().message.find("prepared statement"), std::string::npos);
  auto u = genai_json(R"(GENAI: {"type":"embed","documents":['open]})");
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, errc::kGenaiInvalidRequest);
  EXPECT_NE(u.error().message.find("unterminated"), std::string::npos);
}

TEST(GenaiTemplate, QuestionMarksInsideStringsAreText) {
  auto t = parse_genai_template(R"(GENAI: {"type":"rerank","query":?,"documents":["why?",'?',?]})");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->parameter_count(), 2u);
  EXPECT_FALSE(t->whole_json_parameter);
  std::vector<mysql::ParamValue> params{text("red \"fruit\""), text("b")};
  auto bound = bind_genai_template(*t, params);
  ASSERT_TRUE(bound) << bound.error().message;
  EXPECT_EQ(*bound,
            R"(GENAI:  {"type":"rerank","query":"red \"fruit\"","documents":["why?","?","b"]})");
}

TEST(GenaiTemplate, NumbersAndNullBindAsJson) {
  auto t = parse_genai_template(R"(GENAI: {"type":"rerank","top_n":?,"documents":[?]})");
  ASSERT_TRUE(t);
  std::vector<mysql::ParamValue> params{integer(2), null()};
  EXPECT_EQ(*bind_genai_template(*t, params),
            R"(GENAI:  {"type":"rerank","top_n":2,"documents":[null]})");
  std::vector<mysql::ParamValue> one{integer(2)};
  auto wrong = bind_genai_template(*t, one);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, errc::kGenaiInvalidRequest);
}

TEST(GenaiTemplate, WholeJsonParameter) {
  auto t = parse_genai_template("GENAI: ? ;");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->whole_json_parameter);
  EXPECT_EQ(t->parameter_count(), 1u);
  std::vector<mysql::ParamValue> params{text(R"({"type":"embed","documents":["a"]})")};
  EXPECT_EQ(*bind_genai_template(*t, params), R"(GENAI: {"type":"embed","documents":["a"]})");
  std::vector<mysql::ParamValue> none{null()};
  auto refused = bind_genai_template(*t, none);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("NULL"), std::string::npos);
  EXPECT_TRUE(template_columns(*t).empty());
}

TEST(GenaiTemplate, InvalidUtf8IsRefused) {
  auto t = parse_genai_template(R"(GENAI: {"type":"embed","documents":[?]})");
  ASSERT_TRUE(t);
  std::vector<mysql::ParamValue> params{text("\xff\xfe")};
  auto bound = bind_genai_template(*t, params);
  ASSERT_FALSE(bound);
  EXPECT_NE(bound.error().message.find("UTF-8"), std::string::npos);
}

TEST(TemplateColumns, FromLiteralKeys) {
  auto names = [](std::string_view statement) {
    std::vector<std::string> out;
    for (auto& c : template_columns(*parse_genai_template(statement))) out.push_back(c.name);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names(R"(GENAI: {"type":"embed","documents":[?]})"), V{"embedding"});
  EXPECT_EQ(names(R"(GENAI: {"type":"rerank","query":?,"documents":[?]})"),
            (V{"index", "score", "document"}));
  EXPECT_EQ(names(R"(GENAI: {"type":"rerank","query":?,"documents":[?],"columns":2})"),
            (V{"index", "score"}));
  EXPECT_EQ(names(R"(GENAI: {"type":?,"documents":[?]})"), V{});
  EXPECT_EQ(names(R"(GENAI: {"type":"embed","format":?,"documents":[?]})"), V{});
  EXPECT_EQ(names(R"(GENAI: {"type":"embed","document_from_sql":?})"), V{});
  auto binary = template_columns(
      *parse_genai_template(R"(GENAI: {"type":"embed","format":"binary","documents":[?]})"));
  ASSERT_EQ(binary.size(), 1u);
  EXPECT_EQ(binary[0].type, mysql::Column::blob("x").type);
}

}  // namespace
}  // namespace gp::genai
