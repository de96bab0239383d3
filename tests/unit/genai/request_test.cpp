#include "genai/request.h"

#include <gtest/gtest.h>

#include "genai/errors.h"

namespace gp::genai {
namespace {

GenaiSettings settings_with_max(int max_documents) {
  GenaiSettings s;
  s.max_documents = max_documents;
  return s;
}

Result<GenaiRequest> parse(std::string_view sql, int max_documents = 10000) {
  return parse_genai_statement(sql, settings_with_max(max_documents));
}

// Asserts an invalid-request error whose message contains every fragment.
void expect_invalid(std::string_view sql, std::initializer_list<std::string_view> fragments,
                    int max_documents = 10000) {
  auto r = parse(sql, max_documents);
  ASSERT_FALSE(r.has_value()) << sql;
  EXPECT_EQ(r.error().code, errc::kGenaiInvalidRequest) << sql;
  EXPECT_EQ(r.error().sqlstate, "42000");
  for (auto f : fragments) {
    EXPECT_NE(r.error().message.find(f), std::string::npos)
        << "'" << f << "' not in: " << r.error().message;
  }
}

TEST(IsGenaiStatement, RecognisesPrefixAnyCaseAfterWhitespace) {
  EXPECT_TRUE(is_genai_statement("GENAI: {}"));
  EXPECT_TRUE(is_genai_statement("  \n\tgenai:{}"));
  EXPECT_TRUE(is_genai_statement("GenAi:"));
  EXPECT_FALSE(is_genai_statement("GENAI {}"));
  EXPECT_FALSE(is_genai_statement("SELECT 'GENAI:'"));
  EXPECT_FALSE(is_genai_statement("GENA"));
  EXPECT_FALSE(is_genai_statement(""));
}

TEST(ParseGenai, EmbedDefaults) {
  auto r = parse(R"(GENAI: {"type":"embed","documents":["a","b c"]})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->type, RequestType::kEmbed);
  EXPECT_EQ(r->documents, (Documents{"a", "b c"}));
  EXPECT_EQ(r->format, EmbedFormat::kCsv);
  EXPECT_FALSE(r->document_from_sql);
}

TEST(ParseGenai, EmbedFormats) {
  EXPECT_EQ(parse(R"(GENAI: {"type":"embed","documents":["a"],"format":"json"})")->format,
            EmbedFormat::kJson);
  EXPECT_EQ(parse(R"(GENAI: {"type":"embed","documents":["a"],"format":"binary"})")->format,
            EmbedFormat::kBinary);
  EXPECT_EQ(parse(R"(GENAI: {"type":"embed","documents":["a"],"format":"csv"})")->format,
            EmbedFormat::kCsv);
  expect_invalid(R"(GENAI: {"type":"embed","documents":["a"],"format":"xml"})", {"format", "xml"});
  expect_invalid(R"(GENAI: {"type":"embed","documents":["a"],"format":1})", {"format", "string"});
}

TEST(ParseGenai, RerankAllKeys) {
  auto r =
      parse(R"(genai:{"type":"rerank","query":"q","documents":["x","y"],"top_n":1,"columns":2};)");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->type, RequestType::kRerank);
  EXPECT_EQ(r->query, "q");
  EXPECT_EQ(r->top_n, 1u);
  EXPECT_EQ(r->columns, 2);
  auto d = parse(R"(GENAI: {"type":"rerank","query":"q","documents":["x"]})");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->top_n, 0u);
  EXPECT_EQ(d->columns, 3);
}

TEST(ParseGenai, UnescapesUnicodeDocuments) {
  auto r = parse(R"(GENAI: {"type":"embed","documents":["caf\u00e9 \"x\"", "日本"]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->documents[0], "café \"x\"");
  EXPECT_EQ(r->documents[1], "日本");
}

TEST(ParseGenai, TrailingSemicolonAndWhitespace) {
  EXPECT_TRUE(parse(" GENAI:  {\"type\":\"embed\",\"documents\":[\"a\"]} ; \n"));
  expect_invalid(R"(GENAI: {"type":"embed","documents":["a"]};;)", {"byte"});
}

TEST(ParseGenai, TrailingGarbage) {
  expect_invalid(R"(GENAI: {"type":"embed","documents":["a"]} extra)", {"after the JSON object"});
  expect_invalid(R"(GENAI: {"type":"embed","documents":["a"]} {})", {"after the JSON object"});
}

TEST(ParseGenai, InvalidJsonHasOffsetAndSimdjsonText) {
  auto r = parse("GENAI: {type: embed}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::kGenaiInvalidRequest);
  EXPECT_NE(r.error().message.find("invalid JSON at byte 2"), std::string::npos)
      << r.error().message;
  expect_invalid(R"(GENAI: {"type": "embed", "documents": ["a"])", {"invalid JSON"});
}

TEST(ParseGenai, NotAnObject) {
  expect_invalid(R"(GENAI: ["embed"])", {"JSON object", "array"});
  expect_invalid("GENAI: \"embed\"", {"JSON object", "string"});
  expect_invalid("GENAI: ", {"expected a JSON object"});
  expect_invalid("GENAI: ;", {"expected a JSON object"});
  expect_invalid("SELECT 1", {"GENAI:"});
}

TEST(ParseGenai, UnknownKeyIsNamedWithAcceptedList) {
  expect_invalid(R"(GENAI: {"type":"rerank","query":"q","documents":["a"],"topn":2})",
                 {"'topn'", "top_n", "columns"});
  expect_invalid(R"(GENAI: {"type":"embed","documents":["a"],"top_n":1})",
                 {"'top_n'", "type embed", "format"});
  expect_invalid(R"(GENAI: {"type":"rerank","query":"q","documents":["a"],"format":"csv"})",
                 {"'format'"});
}

TEST(ParseGenai, MissingKeys) {
  expect_invalid(R"(GENAI: {"documents":["a"]})", {"missing key 'type'"});
  expect_invalid(R"(GENAI: {"type":"embed"})", {"'documents'"});
  expect_invalid(R"(GENAI: {"type":"rerank","documents":["a"]})", {"'query'"});
}

TEST(ParseGenai, WrongTypes) {
  expect_invalid(R"(GENAI: {"type":1,"documents":["a"]})", {"'type'"});
  expect_invalid(R"(GENAI: {"type":"classify","documents":["a"]})", {"'type'", "classify"});
  expect_invalid(R"(GENAI: {"type":"embed","documents":"x"})", {"'documents'", "array"});
  expect_invalid(R"(GENAI: {"type":"embed","documents":["ok",3]})", {"documents[1]", "string"});
  expect_invalid(R"(GENAI: {"type":"rerank","query":7,"documents":["a"]})", {"'query'"});
  expect_invalid(R"(GENAI: {"type":"rerank","query":"q","documents":["a"],"top_n":"3"})",
                 {"'top_n'", "integer"});
  expect_invalid(R"(GENAI: {"type":"rerank","query":"q","documents":["a"],"top_n":1.5})",
                 {"'top_n'", "integer"});
  expect_invalid(R"(GENAI: {"type":"rerank","query":"q","documents":["a"],"top_n":-1})",
                 {"'top_n'", ">= 0"});
  expect_invalid(R"(GENAI: {"type":"rerank","query":"q","documents":["a"],"columns":4})",
                 {"'columns'"});
  expect_invalid(R"(GENAI: {"type":"rerank","query":"q","documents":["a"],"columns":"3"})",
                 {"'columns'"});
  expect_invalid(R"(GENAI: {"type":"embed","document_from_sql":5})", {"document_from_sql"});
}

TEST(ParseGenai, EmptyValues) {
  expect_invalid(R"(GENAI: {"type":"embed","documents":[]})", {"'documents'", "empty"});
  expect_invalid(R"(GENAI: {"type":"rerank","query":"","documents":["a"]})", {"'query'", "empty"});
  expect_invalid(R"(GENAI: {"type":"embed","document_from_sql":""})", {"document_from_sql"});
}

TEST(ParseGenai, BlankAndNullDocumentsAreKept) {
  auto r = parse(R"(GENAI: {"type":"embed","documents":["a","",null,"  "]})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->documents, (Documents{"a", "", std::nullopt, "  "}));
  EXPECT_FALSE(is_blank_document(r->documents[0]));
  EXPECT_TRUE(is_blank_document(r->documents[1]));
  EXPECT_TRUE(is_blank_document(r->documents[2]));
  EXPECT_TRUE(is_blank_document(r->documents[3]));
  expect_invalid(R"(GENAI: {"type":"embed","documents":["a",1]})",
                 {"documents[1]", "string or null"});
}

TEST(ParseGenai, MaxDocuments) {
  EXPECT_TRUE(parse(R"(GENAI: {"type":"embed","documents":["a","b","c"]})", 3));
  expect_invalid(R"(GENAI: {"type":"embed","documents":["a","b","c","d"]})",
                 {"genai-max_documents=3", "4"}, 3);
}

TEST(ParseGenai, DuplicateKey) {
  expect_invalid(R"(GENAI: {"type":"embed","documents":["a"],"documents":["b"]})",
                 {"duplicate key 'documents'"});
}

TEST(ParseGenai, DocumentFromSql) {
  auto r = parse(R"(GENAI: {"type":"rerank","query":"q","document_from_sql":"SELECT t FROM x"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r->document_from_sql, "SELECT t FROM x");
  EXPECT_TRUE(r->documents.empty());
  expect_invalid(R"(GENAI: {"type":"embed","documents":["a"],"document_from_sql":"SELECT 1"})",
                 {"exclusive"});
}

TEST(ParseGenai, LargeTopN) {
  auto r = parse(
      R"(GENAI: {"type":"rerank","query":"q","documents":["a"],"top_n":18446744073709551615})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->top_n, 18446744073709551615ull);
}

}  // namespace
}  // namespace gp::genai
