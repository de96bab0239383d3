#include "mysql/prepared.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "mysql/binary_value.h"
#include "mysql/packet.h"

namespace gp::mysql {
namespace {

constexpr uint32_t k41 = cap::kProtocol41 | cap::kTransactions;
constexpr uint32_t kDeprecate = k41 | cap::kDeprecateEof;

// "0a ff 00" -> the three bytes; spaces are ignored.
std::string hex(std::string_view text) {
  std::string out;
  int nibbles = 0;
  unsigned byte = 0;
  for (char c : text) {
    if (c == ' ') continue;
    unsigned v = (c >= '0' && c <= '9') ? c - '0' : (c | 0x20) - 'a' + 10;
    byte = byte << 4 | v;
    if (++nibbles % 2 == 0) {
      out.push_back(static_cast<char>(byte));
      byte = 0;
    }
  }
  return out;
}

std::string frame(const std::string& payload, uint8_t seq) {
  std::string out;
  put_int3(out, static_cast<uint32_t>(payload.size()));
  put_int1(out, seq);
  return out + payload;
}

Column col(std::string name, ColumnType type, uint16_t flags = 0, uint8_t decimals = 0) {
  Column c;
  c.name = std::move(name);
  c.type = type;
  c.charset = charset::kBinary;
  c.flags = flags;
  c.decimals = decimals;
  return c;
}

// ---- COM_STMT_PREPARE answer ----

TEST(PrepareOk, ParamColumnIsWhatMysqlSends) {
  Column p = param_column();
  EXPECT_EQ(p.name, "?");
  EXPECT_EQ(p.type, ColumnType::kVarString);
  EXPECT_EQ(p.charset, charset::kBinary);
  // "def", four empty names... then "?", "?" and the fixed block.
  EXPECT_EQ(encode_column_definition(p),
            hex("03 646566 00 00 00 01 3f 01 3f 0c 3f00 00000000 fd 8000 00 0000"));
}

TEST(PrepareOk, BlocksEndWithEofWithoutDeprecateEof) {
  PrepareOk ok;
  ok.statement_id = 7;
  ok.params = {param_column(), param_column()};
  ok.columns = {Column::bigint("n")};
  ok.warnings = 3;
  ok.status_flags = status::kAutocommit;
  std::string out;
  uint8_t seq = 1;
  append_prepare_ok(out, seq, ok, k41);
  std::string param = encode_column_definition(param_column());
  std::string eof = hex("fe 0300 0200");
  EXPECT_EQ(out, frame(hex("00 07000000 0100 0200 00 0300"), 1) + frame(param, 2) +
                     frame(param, 3) + frame(eof, 4) +
                     frame(encode_column_definition(Column::bigint("n")), 5) + frame(eof, 6));
  EXPECT_EQ(seq, 7);
}

TEST(PrepareOk, NoEofsUnderDeprecateEofAndNoneForEmptyBlocks) {
  PrepareOk ok;
  ok.statement_id = 0x01020304;
  ok.params = {param_column()};
  std::string out;
  uint8_t seq = 1;
  append_prepare_ok(out, seq, ok, kDeprecate);
  EXPECT_EQ(out, frame(hex("00 04030201 0000 0100 00 0000"), 1) +
                     frame(encode_column_definition(param_column()), 2));
  EXPECT_EQ(seq, 3);

  out.clear();
  seq = 1;
  ok.params.clear();
  append_prepare_ok(out, seq, ok, k41);  // nothing follows the header, not even an EOF
  EXPECT_EQ(out, frame(hex("00 04030201 0000 0000 00 0000"), 1));
}

TEST(PrepareOk, HeaderParsesWhatTheEncoderWrites) {
  auto h = parse_prepare_ok_header(hex("00 2a000000 0500 0300 00 0900"));
  ASSERT_TRUE(h.has_value()) << h.error().message;
  EXPECT_EQ(h->statement_id, 42u);
  EXPECT_EQ(h->num_columns, 5);
  EXPECT_EQ(h->num_params, 3);
  EXPECT_EQ(h->warnings, 9);

  auto short_form = parse_prepare_ok_header(hex("00 2a000000 0500 0300"));
  ASSERT_TRUE(short_form.has_value());
  EXPECT_EQ(short_form->warnings, 0);

  EXPECT_FALSE(parse_prepare_ok_header(hex("ff 2a000000 0500 0300 00 0900")).has_value());
  EXPECT_FALSE(parse_prepare_ok_header(hex("00 2a000000 0500 03")).has_value());
  EXPECT_FALSE(parse_prepare_ok_header("").has_value());
}

TEST(PrepareOk, BackendStatementIdIsRewrittenInPlace) {
  std::string p = hex("00 2a000000 0500 0300 00 0900");
  set_prepare_ok_statement_id(p, 0xdeadbeef);
  EXPECT_EQ(p, hex("00 efbeadde 0500 0300 00 0900"));
}

// ---- statement ids of the COM_STMT_* commands ----

TEST(StatementId, ReadFromEveryStatementCommand) {
  for (uint8_t command : {0x17, 0x18, 0x19, 0x1a, 0x1c}) {
    std::string p = std::string(1, static_cast<char>(command)) + hex("0c000000 ffff");
    auto id = statement_id_of(p);
    ASSERT_TRUE(id.has_value()) << int{command};
    EXPECT_EQ(*id, 12u);
  }
}

TEST(StatementId, OtherCommandsAndShortPayloadsAreErrors) {
  EXPECT_FALSE(statement_id_of(hex("03 0c000000")).has_value());  // COM_QUERY
  EXPECT_FALSE(statement_id_of(hex("16 0c000000")).has_value());  // COM_STMT_PREPARE
  EXPECT_FALSE(statement_id_of(hex("19 0c0000")).has_value());
  EXPECT_FALSE(statement_id_of("").has_value());
}

TEST(StatementId, RewriteKeepsTheRestOfThePacket) {
  std::string p = hex("17 01000000 00 01000000 aa");
  set_statement_id(p, 0x00a0b0c0);
  EXPECT_EQ(p, hex("17 c0b0a000 00 01000000 aa"));
  EXPECT_EQ(*statement_id_of(p), 0x00a0b0c0u);
}

// ---- COM_STMT_SEND_LONG_DATA ----

TEST(LongData, Parses) {
  const std::string payload = hex("18 05000000 0200 68656c6c6f");
  auto d = parse_send_long_data(payload);  // `data` points into `payload`
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->statement_id, 5u);
  EXPECT_EQ(d->param_id, 2);
  EXPECT_EQ(d->data, "hello");
  const std::string header_only = hex("18 05000000 0200");
  auto empty = parse_send_long_data(header_only);
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->data, "");
}

TEST(LongData, TruncatedOrWrongCommandFails) {
  std::string p = hex("18 05000000 0200");
  for (size_t n = 0; n < p.size(); ++n) {
    EXPECT_FALSE(parse_send_long_data(p.substr(0, n)).has_value()) << n;
  }
  EXPECT_FALSE(parse_send_long_data(hex("17 05000000 0200 00")).has_value());
}

// ---- COM_STMT_EXECUTE ----

// 19 parameters of every kind; parameter 4 is NULL (bitmap 10 00 00).
const std::string kExecuteHeader = hex("17 01000000 00 01000000 100000 01");
const std::string kExecuteTypes =
    hex("0100 0280 0300 0880 fd00 0500 0400 0c00 0b00 0a00 fd00 fc00 f600 0600 0d00 0900 f500 0700 "
        "0b00");
const std::string kExecuteValues =
    hex("ff"                // TINY -1
        "ffff"              // SHORT unsigned 65535
        "feffffff"          // LONG -2
        "ffffffffffffffff"  // LONGLONG unsigned max
        /* VAR_STRING NULL: no bytes */
        "000000000000c03f"                 // DOUBLE 0.125
        "0000003f"                         // FLOAT 0.5
        "0b e807 01 02 03 04 05 06000000"  // DATETIME 2024-01-02 03:04:05.000006
        "08 01 01000000 02 03 04"          // TIME -1 02:03:04
        "04 e807 01 02"                    // DATE 2024-01-02
        "03 616263"                        // VAR_STRING abc
        "02 0001"                          // BLOB 00 01
        "04 312e3530"                      // NEWDECIMAL 1.50
        /* type NULL: no bytes */
        "e807"                                // YEAR 2024
        "000080ff"                            // INT24 -8388608
        "02 7b7d"                             // JSON {}
        "00"                                  // TIMESTAMP zero
        "0c 00 00000000 0a 0b 0c 20a10700");  // TIME 10:11:12.5

std::string execute_packet() {
  return kExecuteHeader + kExecuteTypes + kExecuteValues;
}

TEST(Execute, ParsesEveryParameterType) {
  auto req = parse_execute(execute_packet(), 19, {}, {});
  ASSERT_TRUE(req.has_value()) << req.error().message;
  EXPECT_EQ(req->statement_id, 1u);
  EXPECT_EQ(req->flags, 0);
  ASSERT_EQ(req->types.size(), 19u);
  ASSERT_EQ(req->params.size(), 19u);
  EXPECT_TRUE(req->types[1].is_unsigned);
  EXPECT_FALSE(req->types[0].is_unsigned);
  EXPECT_EQ(req->types[11].type, ColumnType::kBlob);
  using K = ParamValue::Kind;
  const auto& p = req->params;
  EXPECT_EQ(p[0].kind, K::kSigned);
  EXPECT_EQ(p[0].i, -1);
  EXPECT_EQ(p[1].kind, K::kUnsigned);
  EXPECT_EQ(p[1].u, 65535u);
  EXPECT_EQ(p[2].i, -2);
  EXPECT_EQ(p[3].kind, K::kUnsigned);
  EXPECT_EQ(p[3].u, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(p[4].kind, K::kNull);
  EXPECT_EQ(p[4].type, ColumnType::kVarString);
  EXPECT_EQ(p[5].kind, K::kDouble);
  EXPECT_EQ(p[5].d, 0.125);
  EXPECT_EQ(p[6].kind, K::kDouble);
  EXPECT_EQ(p[6].d, 0.5);
  EXPECT_EQ(p[7].kind, K::kTemporal);
  EXPECT_EQ(p[7].text, "2024-01-02 03:04:05.000006");
  EXPECT_EQ(p[8].text, "-1 02:03:04");
  EXPECT_EQ(p[9].text, "2024-01-02");
  EXPECT_EQ(p[10].kind, K::kString);
  EXPECT_EQ(p[10].text, "abc");
  EXPECT_EQ(p[11].kind, K::kBytes);
  EXPECT_EQ(p[11].text, std::string("\x00\x01", 2));
  EXPECT_EQ(p[12].kind, K::kString);
  EXPECT_EQ(p[12].text, "1.50");
  EXPECT_EQ(p[13].kind, K::kNull);
  EXPECT_EQ(p[13].type, ColumnType::kNull);
  EXPECT_EQ(p[14].kind, K::kSigned);
  EXPECT_EQ(p[14].i, 2024);
  EXPECT_EQ(p[15].i, -8388608);
  EXPECT_EQ(p[16].kind, K::kString);
  EXPECT_EQ(p[16].text, "{}");
  EXPECT_EQ(p[17].text, "0000-00-00 00:00:00");
  EXPECT_EQ(p[18].text, "10:11:12.500000");
}

TEST(Execute, UnsignedFlagTurnsTheSameByteIntoAnotherValue) {
  auto s = parse_execute(hex("17 01000000 00 01000000 00 01 0100 ff"), 1, {}, {});
  auto u = parse_execute(hex("17 01000000 00 01000000 00 01 0180 ff"), 1, {}, {});
  ASSERT_TRUE(s && u);
  EXPECT_EQ(s->params[0].i, -1);
  EXPECT_EQ(u->params[0].kind, ParamValue::Kind::kUnsigned);
  EXPECT_EQ(u->params[0].u, 255u);
}

TEST(Execute, TypesNotResentComeFromThePreviousExecute) {
  std::vector<ParamType> previous = {{ColumnType::kLongLong, false}, {ColumnType::kString, false}};
  auto req =
      parse_execute(hex("17 09000000 01 01000000 00 00 0500000000000000 02 6869"), 2, previous, {});
  ASSERT_TRUE(req.has_value()) << req.error().message;
  EXPECT_EQ(req->flags, 1);
  EXPECT_EQ(req->params[0].i, 5);
  EXPECT_EQ(req->params[1].text, "hi");
  ASSERT_EQ(req->types.size(), 2u);
  EXPECT_EQ(req->types[0].type, ColumnType::kLongLong);
}

TEST(Execute, TypesNeverSentIsAnError) {
  // MariaDB's first execute of a statement may leave the types out.
  auto req = parse_execute(hex("17 09000000 00 01000000 00 00 0500000000000000"), 1, {}, {});
  ASSERT_FALSE(req.has_value());
  EXPECT_NE(req.error().message.find("parameter types were never sent"), std::string::npos)
      << req.error().message;
}

TEST(Execute, LongDataReplacesTheInlineValue) {
  // Parameter 0 (a BLOB) came by COM_STMT_SEND_LONG_DATA: the packet holds
  // only parameter 1's value, whatever parameter 0's NULL bit says.
  std::vector<std::optional<std::string>> long_data = {std::string("big"), std::nullopt};
  auto req = parse_execute(hex("17 01000000 00 01000000 01 01 fc00 fe00 01 78"), 2, {}, long_data);
  ASSERT_TRUE(req.has_value()) << req.error().message;
  EXPECT_EQ(req->params[0].kind, ParamValue::Kind::kBytes);
  EXPECT_EQ(req->params[0].text, "big");
  EXPECT_EQ(req->params[1].kind, ParamValue::Kind::kString);
  EXPECT_EQ(req->params[1].text, "x");

  // Long data for a string type is a string.
  long_data = {std::nullopt, std::string("long text")};
  req = parse_execute(hex("17 01000000 00 01000000 00 01 fc00 fe00 01 78"), 2, {}, long_data);
  ASSERT_TRUE(req.has_value()) << req.error().message;
  EXPECT_EQ(req->params[0].text, "x");
  EXPECT_EQ(req->params[1].kind, ParamValue::Kind::kString);
  EXPECT_EQ(req->params[1].text, "long text");
}

TEST(Execute, WithoutParametersOnlyTheHeader) {
  auto req = parse_execute(hex("17 03000000 00 01000000"), 0, {}, {});
  ASSERT_TRUE(req.has_value());
  EXPECT_EQ(req->statement_id, 3u);
  EXPECT_TRUE(req->params.empty());
  EXPECT_FALSE(parse_execute(hex("17 03000000 00 01000000 00"), 0, {}, {}).has_value());
}

TEST(Execute, RejectsUnknownTypesTrailingBytesAndOtherCommands) {
  EXPECT_FALSE(parse_execute(hex("17 01000000 00 01000000 00 01 0e00 00"), 1, {}, {}));
  EXPECT_FALSE(parse_execute(hex("17 01000000 00 01000000 00 01 1100 00"), 1, {}, {}));
  EXPECT_FALSE(parse_execute(execute_packet() + "x", 19, {}, {}));
  EXPECT_FALSE(parse_execute(hex("19 01000000 00 01000000"), 0, {}, {}));
  // A temporal length MySQL never sends, and a microsecond count past a second.
  EXPECT_FALSE(parse_execute(hex("17 01000000 00 01000000 00 01 0c00 05 e8070102 03"), 1, {}, {}));
  EXPECT_FALSE(parse_execute(
      hex("17 01000000 00 01000000 00 01 0b00 0c 00 00000000 000000 40420f00"), 1, {}, {}));
}

TEST(Execute, EveryTruncatedPrefixIsAnError) {
  std::vector<std::pair<std::string, uint16_t>> packets = {
      {execute_packet(), 19},
      {hex("17 01000000 00 01000000 01 01 fc00 fe00 01 78"), 2},
      {hex("17 03000000 00 01000000"), 0},
      {hex("17 01000000 00 01000000 00 01 fd00 fc0001") + std::string(256, 'a'), 1},
  };
  for (const auto& [packet, n] : packets) {
    ASSERT_TRUE(parse_execute(packet, n, {}, {}).has_value());
    for (size_t len = 0; len < packet.size(); ++len) {
      auto r = parse_execute(std::string_view(packet).substr(0, len), n, {}, {});
      ASSERT_FALSE(r.has_value()) << "prefix " << len << " of " << packet.size();
      EXPECT_EQ(r.error().code, errc::kMalformedPacket);
      EXPECT_FALSE(r.error().message.empty());
    }
  }
}

TEST(Execute, MutatedPacketsNeverCrash) {
  std::mt19937 rng(7);
  std::string valid = execute_packet();
  int parsed = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string p = valid;
    for (int flips = 1 + round % 4; flips > 0; --flips) {
      p[rng() % p.size()] = static_cast<char>(rng());
    }
    // Heap copies so that a sanitizer build catches any over-read.
    std::string copy(p.begin(), p.begin() + static_cast<long>(rng() % (p.size() + 1)));
    if (parse_execute(copy, 19, {}, {})) ++parsed;
  }
  EXPECT_LT(parsed, 5000);  // most mutations are caught, and none crashed
}

// ---- binary rows ----

TEST(BinaryRow, EncodesEachTypeByteExact) {
  std::vector<Column> cols = {
      col("t", ColumnType::kTiny),
      col("s", ColumnType::kShort, column_flag::kUnsigned),
      col("l", ColumnType::kLong),
      col("ll", ColumnType::kLongLong),
      col("f", ColumnType::kFloat),
      col("d", ColumnType::kDouble),
      col("date", ColumnType::kDate),
      col("dt", ColumnType::kDateTime),
      col("tm", ColumnType::kTime),
      Column::text("v"),
      Column::text("n"),
      col("y", ColumnType::kYear),
      col("i24", ColumnType::kInt24),
  };
  Row row = {"-128",      "65535", "-2",         "42",
             "0.5",       "0.125", "2024-01-02", "2024-01-02 03:04:05.000007",
             "-25:00:01", "abc",   std::nullopt, "1999",
             "-1"};
  auto out = encode_binary_row(row, cols);
  ASSERT_TRUE(out.has_value()) << out.error().message;
  // 13 columns: bitmap of (13 + 9) / 8 = 2 bytes; column 10 is bit 12.
  EXPECT_EQ(*out, hex("00 0010"
                      "80"
                      "ffff"
                      "feffffff"
                      "2a00000000000000"
                      "0000003f"
                      "000000000000c03f"
                      "04 e807 01 02"
                      "0b e807 01 02 03 04 05 07000000"
                      "08 01 01000000 01 00 01"
                      "03 616263"
                      "cf07"
                      "ffffffff"));
}

TEST(BinaryRow, TemporalValuesUseTheShortestForm) {
  std::vector<Column> cols = {col("a", ColumnType::kDateTime),  col("b", ColumnType::kDateTime),
                              col("c", ColumnType::kTimestamp), col("d", ColumnType::kTime),
                              col("e", ColumnType::kTime),      col("f", ColumnType::kDate)};
  Row row = {"2024-01-02 00:00:00", "0000-00-00 00:00:00", "2024-01-02 03:04:05", "00:00:00",
             "12:00:00.5",          "0000-00-00"};
  auto out = encode_binary_row(row, cols);
  ASSERT_TRUE(out.has_value()) << out.error().message;
  EXPECT_EQ(*out, hex("00 00"
                      "04 e807 01 02"
                      "00"
                      "07 e807 01 02 03 04 05"
                      "00"
                      "0c 00 00000000 0c 00 00 20a10700"
                      "00"));
  auto back = parse_binary_row(*out, cols);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ((*back)[0], "2024-01-02 00:00:00");
  EXPECT_EQ((*back)[1], "0000-00-00 00:00:00");
  EXPECT_EQ((*back)[3], "00:00:00");
  EXPECT_EQ((*back)[4], "12:00:00.500000");
  EXPECT_EQ((*back)[5], "0000-00-00");
}

TEST(BinaryRow, FractionPrintedToTheColumnsDecimals) {
  std::vector<Column> cols = {col("a", ColumnType::kDateTime, 0, 3),
                              col("b", ColumnType::kTime, 0, 6)};
  auto out = encode_binary_row({"2024-01-02 03:04:05.120", "01:02:03.000000"}, cols);
  ASSERT_TRUE(out.has_value());
  auto back = parse_binary_row(*out, cols);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ((*back)[0], "2024-01-02 03:04:05.120");
  EXPECT_EQ((*back)[1], "01:02:03.000000");
}

TEST(BinaryRow, RoundTripsEveryType) {
  const uint16_t u = column_flag::kUnsigned;
  std::vector<std::pair<Column, std::vector<std::string>>> cases = {
      {col("tiny", ColumnType::kTiny), {"0", "-128", "127", "-1"}},
      {col("utiny", ColumnType::kTiny, u), {"0", "255"}},
      {col("short", ColumnType::kShort), {"-32768", "32767"}},
      {col("ushort", ColumnType::kShort, u), {"65535"}},
      {col("year", ColumnType::kYear, u), {"2155", "0"}},
      {col("long", ColumnType::kLong), {"-2147483648", "2147483647"}},
      {col("ulong", ColumnType::kLong, u), {"4294967295"}},
      {col("int24", ColumnType::kInt24), {"-8388608", "8388607"}},
      {col("ll", ColumnType::kLongLong), {"-9223372036854775808", "9223372036854775807"}},
      {col("ull", ColumnType::kLongLong, u), {"18446744073709551615"}},
      {col("float", ColumnType::kFloat), {"0.1", "-3.5", "1e30", "0"}},
      {col("double", ColumnType::kDouble, 0, 31),
       {"0.125", "-1e100", "1.5e-7", "3.141592653589793"}},
      {col("dec", ColumnType::kNewDecimal, 0, 2), {"-12345.67", "0.00"}},
      {col("date", ColumnType::kDate), {"2024-01-02", "9999-12-31"}},
      {col("dt", ColumnType::kDateTime), {"2024-01-02 03:04:05", "2024-01-02 03:04:05.000001"}},
      {col("ts", ColumnType::kTimestamp), {"1970-01-01 00:00:01", "2038-01-19 03:14:07.999999"}},
      {col("time", ColumnType::kTime),
       {"838:59:59", "-838:59:59", "-00:00:01", "25:00:00", "-49:30:00.250000", "00:00:00.000001"}},
      {Column::text("text"), {"", "héllo", std::string(300, 'x')}},
      {Column::blob("blob"), {std::string("\x00\xff\xfe", 3), std::string(70000, 'b')}},
      {col("json", ColumnType::kJson), {"{\"a\": [1, 2]}"}},
      {col("bit", ColumnType::kBit), {std::string("\x01\x00", 2)}},
      {col("enum", ColumnType::kString), {"small"}},
  };
  for (const auto& [column, values] : cases) {
    for (const auto& value : values) {
      std::vector<Column> cols = {column, column};
      Row row = {value, std::nullopt};
      auto encoded = encode_binary_row(row, cols);
      ASSERT_TRUE(encoded.has_value())
          << column.name << " " << value << ": " << encoded.error().message;
      auto back = parse_binary_row(*encoded, cols);
      ASSERT_TRUE(back.has_value()) << column.name << " " << value;
      EXPECT_EQ(*back, row) << column.name;
    }
  }
}

TEST(BinaryRow, TimeWithDaysAcceptsBothForms) {
  std::vector<Column> cols = {col("a", ColumnType::kTime), col("b", ColumnType::kTime)};
  auto out = encode_binary_row({"-2 03:04:05", "51:04:05"}, cols);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*out, hex("00 00 08 01 02000000 03 04 05 08 00 02000000 03 04 05"));
  auto back = parse_binary_row(*out, cols);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ((*back)[0], "-51:04:05");
  EXPECT_EQ((*back)[1], "51:04:05");
}

TEST(BinaryRow, ThreeHundredColumnsSpanTheNullBitmap) {
  std::vector<Column> cols;
  Row row;
  for (int i = 0; i < 300; ++i) {
    cols.push_back(
        col("c" + std::to_string(i), i % 2 ? ColumnType::kLong : ColumnType::kVarString));
    if (i % 3 == 0) {
      row.emplace_back(std::nullopt);
    } else {
      row.emplace_back(std::to_string(i * (i % 2 ? -1 : 1)));
    }
  }
  auto out = encode_binary_row(row, cols);
  ASSERT_TRUE(out.has_value()) << out.error().message;
  // (300 + 9) / 8 = 38 bitmap bytes; columns 0 and 3 are bits 2 and 5 of
  // byte 0, column 297 is bit 299 = bit 3 of byte 37.
  EXPECT_EQ(static_cast<uint8_t>((*out)[1]), 0x24);
  EXPECT_EQ(static_cast<uint8_t>((*out)[1 + 37]) & 0x08, 0x08);
  auto back = parse_binary_row(*out, cols);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, row);
}

TEST(BinaryRow, ValuesThatDoNotFitTheirColumnAreErrors) {
  const uint16_t u = column_flag::kUnsigned;
  std::vector<std::pair<Column, std::string>> bad = {
      {col("a", ColumnType::kLong), "abc"},
      {col("a", ColumnType::kLong), "12abc"},
      {col("a", ColumnType::kLong), ""},
      {col("a", ColumnType::kTiny), "128"},
      {col("a", ColumnType::kTiny, u), "256"},
      {col("a", ColumnType::kTiny, u), "-1"},
      {col("a", ColumnType::kShort), "-32769"},
      {col("a", ColumnType::kLong, u), "4294967296"},
      {col("a", ColumnType::kLongLong), "9223372036854775808"},
      {col("a", ColumnType::kLongLong, u), "18446744073709551616"},
      {col("a", ColumnType::kDouble), "1e400"},
      {col("a", ColumnType::kDouble), "nan"},
      {col("a", ColumnType::kFloat), "1e39"},
      {col("a", ColumnType::kNewDecimal), "1.2.3"},
      {col("a", ColumnType::kNewDecimal), "1e5"},
      {col("a", ColumnType::kDate), "2024-01-02 03:04:05"},
      {col("a", ColumnType::kDate), "2024-1-2"},
      {col("a", ColumnType::kDateTime), "2024-13-01 00:00:00"},
      {col("a", ColumnType::kDateTime), "2024-01-01 24:00:00"},
      {col("a", ColumnType::kDateTime), "2024-01-01 00:00:00.1234567"},
      {col("a", ColumnType::kDateTime), "2024-01-01T00:00:00"},
      {col("a", ColumnType::kTime), "12:60:00"},
      {col("a", ColumnType::kTime), "1 24:00:00"},
      {col("a", ColumnType::kTime), "12:00"},
      {col("a", ColumnType::kNull), "x"},
  };
  for (const auto& [column, value] : bad) {
    auto r = encode_binary_row({value}, {column});
    ASSERT_FALSE(r.has_value()) << value;
    EXPECT_NE(r.error().message.find("'a'"), std::string::npos) << r.error().message;
  }
  EXPECT_FALSE(encode_binary_row({"1", "2"}, {col("a", ColumnType::kLong)}).has_value());
}

TEST(BinaryRow, EveryTruncatedPrefixFailsToParse) {
  std::vector<Column> cols = {col("a", ColumnType::kLongLong), col("b", ColumnType::kDateTime),
                              col("c", ColumnType::kTime), Column::text("d"),
                              col("e", ColumnType::kDouble)};
  auto out = encode_binary_row({"1", "2024-01-02 03:04:05.6", "-1:00:00", "xyz", "2.5"}, cols);
  ASSERT_TRUE(out.has_value());
  ASSERT_TRUE(parse_binary_row(*out, cols).has_value());
  for (size_t n = 0; n < out->size(); ++n) {
    EXPECT_FALSE(parse_binary_row(out->substr(0, n), cols).has_value()) << n;
  }
  EXPECT_FALSE(parse_binary_row(*out + "x", cols).has_value());
  std::string bad_header = *out;
  bad_header[0] = '\x01';
  EXPECT_FALSE(parse_binary_row(bad_header, cols).has_value());
}

// ---- binary result sets ----

ResultSet small_result() {
  ResultSet rs;
  rs.columns = {Column::bigint("n"), Column::text("s")};
  rs.rows = {{"1", "a"}, {std::nullopt, "bc"}};
  rs.warnings = 2;
  return rs;
}

TEST(BinaryResultSet, WithEofs) {
  std::string out;
  uint8_t seq = 1;
  ASSERT_TRUE(append_binary_resultset(out, seq, small_result(), k41, status::kAutocommit));
  EXPECT_EQ(out, frame(hex("02"), 1) + frame(encode_column_definition(Column::bigint("n")), 2) +
                     frame(encode_column_definition(Column::text("s")), 3) +
                     frame(hex("fe 0000 0200"), 4) + frame(hex("00 00 0100000000000000 01 61"), 5) +
                     frame(hex("00 04 02 6263"), 6) + frame(hex("fe 0200 0200"), 7));
  EXPECT_EQ(seq, 8);
}

TEST(BinaryResultSet, EndsWithOkUnderDeprecateEof) {
  std::string out;
  uint8_t seq = 1;
  ASSERT_TRUE(append_binary_resultset(out, seq, small_result(), kDeprecate, status::kAutocommit));
  EXPECT_EQ(out, frame(hex("02"), 1) + frame(encode_column_definition(Column::bigint("n")), 2) +
                     frame(encode_column_definition(Column::text("s")), 3) +
                     frame(hex("00 00 0100000000000000 01 61"), 4) +
                     frame(hex("00 04 02 6263"), 5) + frame(hex("fe 00 00 0200 0200"), 6));
  EXPECT_EQ(seq, 7);
}

TEST(BinaryResultSet, MatchesTheTextResultSetExceptForTheRows) {
  // Same framing as append_resultset: only the row packets differ.
  ResultSet rs = small_result();
  for (uint32_t caps : {k41, kDeprecate}) {
    std::string binary, text;
    uint8_t seq_b = 0, seq_t = 0;
    ASSERT_TRUE(append_binary_resultset(binary, seq_b, rs, caps, 0));
    append_resultset(text, seq_t, rs, caps, 0);
    EXPECT_EQ(seq_b, seq_t);
    std::string text_rows = frame(encode_text_row(rs.rows[0]), caps & cap::kDeprecateEof ? 3 : 4) +
                            frame(encode_text_row(rs.rows[1]), caps & cap::kDeprecateEof ? 4 : 5);
    size_t at = text.find(text_rows);
    ASSERT_NE(at, std::string::npos);
    EXPECT_EQ(binary.substr(0, at), text.substr(0, at));
    EXPECT_EQ(binary.substr(binary.size() - (text.size() - at - text_rows.size())),
              text.substr(at + text_rows.size()));
  }
}

TEST(BinaryResultSet, NoColumnsIsAnOk) {
  std::string out;
  uint8_t seq = 1;
  ResultSet rs;
  ASSERT_TRUE(append_binary_resultset(out, seq, rs, k41, status::kAutocommit));
  EXPECT_EQ(out, frame(hex("00 00 00 0200 0000"), 1));
}

TEST(BinaryResultSet, RowErrorLeavesOutputUntouched) {
  ResultSet rs = small_result();
  rs.rows.push_back({"not a number", "x"});
  std::string out = "prefix";
  uint8_t seq = 5;
  auto r = append_binary_resultset(out, seq, rs, k41, 0);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("not a number"), std::string::npos);
  EXPECT_EQ(out, "prefix");
  EXPECT_EQ(seq, 5);
}

// ---- value helpers ----

TEST(BinaryValue, DoublesPrintLikeMysql) {
  EXPECT_EQ(format_double(1e100), "1e100");
  EXPECT_EQ(format_double(1.5e-7), "1.5e-7");
  EXPECT_EQ(format_double(0.125), "0.125");
  EXPECT_EQ(format_double(-42), "-42");
  EXPECT_EQ(format_float(0.1f), "0.1");
}

TEST(BinaryValue, TimeTextForms) {
  Temporal t;
  t.negative = true;
  t.days = 3;
  t.hour = 4;
  t.minute = 5;
  t.second = 6;
  t.microsecond = 70;
  EXPECT_EQ(format_time(t, -1), "-76:05:06.000070");
  EXPECT_EQ(format_time(t, 2), "-76:05:06.00");
  EXPECT_EQ(format_time(t, 0, /*days_prefix=*/true), "-3 04:05:06.000070");
  auto parsed = parse_time_text("-3 04:05:06.00007");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->days, 3u);
  EXPECT_EQ(parsed->hour, 4);
  EXPECT_EQ(parsed->microsecond, 70u);
  EXPECT_TRUE(parsed->negative);
}

TEST(Execute, EncodedExecuteParsesBackToItsValues) {
  std::vector<ParamValue> params(6);
  params[0].kind = ParamValue::Kind::kNull;
  params[1].kind = ParamValue::Kind::kSigned;
  params[1].i = -7;
  params[2].kind = ParamValue::Kind::kUnsigned;
  params[2].u = 18446744073709551615ull;
  params[3].kind = ParamValue::Kind::kDouble;
  params[3].d = 0.25;
  params[4].kind = ParamValue::Kind::kString;
  params[4].text = "[0.5,1]";
  params[5].kind = ParamValue::Kind::kBytes;
  params[5].type = ColumnType::kBlob;
  params[5].text = std::string("\0\x01\xff", 3);
  std::string packet = encode_execute(42, params);
  auto parsed = parse_execute(packet, 6, {}, {});
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->statement_id, 42u);
  EXPECT_EQ(parsed->flags, 0);
  ASSERT_EQ(parsed->params.size(), 6u);
  EXPECT_EQ(parsed->params[0].kind, ParamValue::Kind::kNull);
  EXPECT_EQ(parsed->params[1].i, -7);
  EXPECT_EQ(parsed->params[2].u, 18446744073709551615ull);
  EXPECT_TRUE(parsed->types[2].is_unsigned);
  EXPECT_EQ(parsed->params[3].d, 0.25);
  EXPECT_EQ(parsed->params[4].text, "[0.5,1]");
  EXPECT_EQ(parsed->params[5].kind, ParamValue::Kind::kBytes);
  EXPECT_EQ(parsed->params[5].text, params[5].text);
}

TEST(Execute, NoParametersIsTheBareHeader) {
  EXPECT_EQ(encode_execute(1, {}).size(), 10u);
  EXPECT_TRUE(parse_execute(encode_execute(1, {}), 0, {}, {}).has_value());
}

}  // namespace
}  // namespace gp::mysql
