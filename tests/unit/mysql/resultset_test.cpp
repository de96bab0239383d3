#include "mysql/resultset.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "mysql/packet.h"

namespace gp::mysql {
namespace {

constexpr uint32_t k41 = cap::kProtocol41 | cap::kTransactions;

std::string frame(const std::string& payload, uint8_t seq) {
  std::string out;
  put_int3(out, static_cast<uint32_t>(payload.size()));
  put_int1(out, seq);
  return out + payload;
}

// "def", "", "", "", name, name, then the fixed-length block.
std::string column_def(const std::string& name, const std::string& fixed) {
  std::string out(
      "\x03"
      "def\x00\x00\x00",
      7);
  out += static_cast<char>(name.size()) + name + static_cast<char>(name.size()) + name;
  return out + "\x0c" + fixed + std::string("\x00\x00", 2);
}

ResultSet tiny() {
  ResultSet rs;
  rs.columns = {Column::text("a"), Column::bigint("n")};
  rs.rows = {{"x", "1"}, {std::nullopt, "22"}};
  return rs;
}

const std::string kTextFixed("\x2d\x00\x00\x10\x00\x00\xfd\x00\x00\x00", 10);
const std::string kBigintFixed("\x3f\x00\x14\x00\x00\x00\x08\x80\x00\x00", 10);

TEST(ResultSet, ByteExactWithEof) {
  std::string out;
  uint8_t seq = 1;
  append_resultset(out, seq, tiny(), k41, status::kAutocommit);
  std::string expected = frame("\x02", 1) + frame(column_def("a", kTextFixed), 2) +
                         frame(column_def("n", kBigintFixed), 3) +
                         frame(std::string("\xfe\x00\x00\x02\x00", 5), 4) +
                         frame(
                             "\x01x\x01"
                             "1",
                             5) +
                         frame(
                             "\xfb\x02"
                             "22",
                             6) +
                         frame(std::string("\xfe\x00\x00\x02\x00", 5), 7);
  EXPECT_EQ(out, expected);
  EXPECT_EQ(seq, 8);
}

TEST(ResultSet, ByteExactWithDeprecateEof) {
  std::string out;
  uint8_t seq = 1;
  ResultSet rs = tiny();
  rs.warnings = 1;
  append_resultset(out, seq, rs, k41 | cap::kDeprecateEof, status::kAutocommit | status::kInTrans);
  std::string expected = frame("\x02", 1) + frame(column_def("a", kTextFixed), 2) +
                         frame(column_def("n", kBigintFixed), 3) +
                         frame(
                             "\x01x\x01"
                             "1",
                             4) +
                         frame(
                             "\xfb\x02"
                             "22",
                             5) +
                         frame(std::string("\xfe\x00\x00\x03\x00\x01\x00", 7), 6);
  EXPECT_EQ(out, expected);
  EXPECT_EQ(seq, 7);
}

TEST(ResultSet, NoColumnsIsAnOk) {
  std::string out;
  uint8_t seq = 1;
  append_resultset(out, seq, ResultSet{}, k41, status::kAutocommit);
  EXPECT_EQ(out, frame(std::string("\x00\x00\x00\x02\x00\x00\x00", 7), 1));
}

TEST(QueryResult, OkTakesTheGivenStatus) {
  std::string out;
  uint8_t seq = 1;
  QueryResult r = OkPacket{1, 0, status::kInTrans, 0, "", ""};
  append_query_result(out, seq, r, k41, status::kAutocommit);
  EXPECT_EQ(out, frame(std::string("\x00\x01\x00\x02\x00\x00\x00", 7), 1));
  EXPECT_EQ(seq, 2);
}

TEST(QueryResult, ResultSetMatchesAppendResultset) {
  std::string a, b;
  uint8_t seq_a = 1, seq_b = 1;
  append_query_result(a, seq_a, QueryResult{tiny()}, k41, status::kAutocommit);
  append_resultset(b, seq_b, tiny(), k41, status::kAutocommit);
  EXPECT_EQ(a, b);
  EXPECT_EQ(seq_a, seq_b);
}

TEST(Column, Factories) {
  Column t = Column::text("t");
  EXPECT_EQ(t.type, ColumnType::kVarString);
  EXPECT_EQ(t.charset, charset::kUtf8mb4GeneralCi);
  Column b = Column::blob("b");
  EXPECT_EQ(b.type, ColumnType::kBlob);
  EXPECT_EQ(b.charset, charset::kBinary);
  EXPECT_EQ(b.flags & (column_flag::kBlob | column_flag::kBinary),
            column_flag::kBlob | column_flag::kBinary);
  Column n = Column::bigint("n");
  EXPECT_EQ(n.type, ColumnType::kLongLong);
  EXPECT_EQ(n.charset, charset::kBinary);
  Column d = Column::dbl("d");
  EXPECT_EQ(d.type, ColumnType::kDouble);
  EXPECT_EQ(d.charset, charset::kBinary);
  EXPECT_EQ(d.decimals, 31);
}

TEST(ColumnDefinition, RoundTrip) {
  for (Column c : {Column::text("title"), Column::blob("embedding"), Column::bigint("id"),
                   Column::dbl("score")}) {
    c.table = "docs";
    c.schema = "shop";
    auto parsed = parse_column_definition(encode_column_definition(c));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(parsed->name, c.name);
    EXPECT_EQ(parsed->type, c.type);
    EXPECT_EQ(parsed->charset, c.charset);
    EXPECT_EQ(parsed->length, c.length);
    EXPECT_EQ(parsed->flags, c.flags);
    EXPECT_EQ(parsed->decimals, c.decimals);
    EXPECT_EQ(parsed->table, "docs");
    EXPECT_EQ(parsed->schema, "shop");
  }
}

TEST(ColumnDefinition, EveryTruncationIsAnError) {
  Column c = Column::text("name");
  c.table = "t";
  std::string p = encode_column_definition(c);
  for (size_t n = 0; n < p.size(); ++n) {
    std::string prefix = p.substr(0, n);
    auto r = parse_column_definition(prefix);
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error().code, errc::kMalformedPacket);
    EXPECT_NE(r.error().message.find("column definition"), std::string::npos);
  }
}

TEST(ColumnDefinition, FixedBlockTooShort) {
  std::string p = encode_column_definition(Column::text("x"));
  size_t fixed_at = p.size() - 13;
  ASSERT_EQ(p[fixed_at], '\x0c');
  p[fixed_at] = '\x09';
  EXPECT_FALSE(parse_column_definition(p).has_value());
}

TEST(ColumnCount, ParsesAndRejects) {
  EXPECT_EQ(parse_column_count("\x03").value(), 3u);
  EXPECT_EQ(parse_column_count(std::string("\xfc\x00\x01", 3)).value(), 256u);
  EXPECT_FALSE(parse_column_count("").has_value());
  EXPECT_FALSE(parse_column_count(std::string("\x00", 1)).has_value());
  EXPECT_FALSE(parse_column_count("\xfb").has_value());
  EXPECT_FALSE(parse_column_count("\xfc\x01").has_value());
  auto huge = parse_column_count("\xfe\xff\xff\xff\xff\xff\xff\xff\xff");
  ASSERT_FALSE(huge.has_value());
  EXPECT_NE(huge.error().message.find("column count"), std::string::npos);
}

TEST(TextRow, RoundTrip) {
  Row row = {"", std::nullopt, std::string(300, 'z'), std::string("\xfb\x00", 2)};
  auto parsed = parse_text_row(encode_text_row(row), row.size());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, row);
}

TEST(TextRow, WrongFieldCountOrTruncation) {
  Row row = {"abc", std::nullopt, "de"};
  std::string p = encode_text_row(row);
  EXPECT_FALSE(parse_text_row(p, 2).has_value());  // trailing bytes
  auto too_many = parse_text_row(p, 4);
  ASSERT_FALSE(too_many.has_value());
  EXPECT_NE(too_many.error().message.find("3 of 4"), std::string::npos);
  for (size_t n = 0; n < p.size(); ++n) {
    std::string prefix = p.substr(0, n);
    EXPECT_FALSE(parse_text_row(prefix, 3).has_value()) << n;
  }
  // A huge claimed column count must fail fast, not allocate.
  EXPECT_FALSE(parse_text_row(p, SIZE_MAX).has_value());
}

}  // namespace
}  // namespace gp::mysql
