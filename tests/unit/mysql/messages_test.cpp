#include "mysql/messages.h"

#include <gtest/gtest.h>

#include <string>

#include "mysql/protocol.h"

namespace gp::mysql {
namespace {

constexpr uint32_t k41 = cap::kProtocol41 | cap::kTransactions;
constexpr uint32_t kTrack = k41 | cap::kSessionTrack;

TEST(Ok, EncodesTheDocumentedLayout) {
  OkPacket ok{300, 5, status::kAutocommit, 2, "Rows matched: 1", ""};
  EXPECT_EQ(encode_ok(ok, k41),
            std::string("\x00\xfc\x2c\x01\x05\x02\x00\x02\x00Rows matched: 1", 24));
  EXPECT_EQ(encode_ok(ok, kTrack),
            std::string("\x00\xfc\x2c\x01\x05\x02\x00\x02\x00\x0fRows matched: 1", 25));
  EXPECT_EQ(encode_ok(OkPacket{}, kTrack, 0xfe), std::string("\xfe\x00\x00\x00\x00\x00\x00", 7));
  // Without PROTOCOL_41, only the status flags follow (with TRANSACTIONS).
  EXPECT_EQ(encode_ok(ok, cap::kTransactions),
            std::string("\x00\xfc\x2c\x01\x05\x02\x00Rows matched: 1", 22));
}

TEST(Ok, RoundTrips) {
  const OkPacket cases[] = {
      {},
      {1, 2, status::kInTrans, 3, "info text", ""},
      {1ull << 40, 70000, 0, 65535, "", ""},
      {0, 0, status::kAutocommit | status::kSessionStateChanged, 0, "", "\x01\x05\x04shop"},
      {7, 0, status::kSessionStateChanged, 1, "with both", std::string("\x00\x01x", 3)},
  };
  for (uint32_t caps : {k41, kTrack}) {
    for (const auto& ok : cases) {
      bool tracked = (caps & cap::kSessionTrack) != 0;
      auto parsed = parse_ok(encode_ok(ok, caps), caps);
      ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
      EXPECT_EQ(parsed->affected_rows, ok.affected_rows);
      EXPECT_EQ(parsed->last_insert_id, ok.last_insert_id);
      EXPECT_EQ(parsed->status_flags, ok.status_flags);
      EXPECT_EQ(parsed->warnings, ok.warnings);
      EXPECT_EQ(parsed->info, ok.info);
      EXPECT_EQ(parsed->session_state, tracked ? ok.session_state : "");
    }
  }
}

TEST(Ok, Classification) {
  std::string ok = encode_ok(OkPacket{}, k41);
  EXPECT_TRUE(is_ok_packet(ok));
  EXPECT_FALSE(is_ok_packet(ok.substr(0, 6)));
  EXPECT_FALSE(is_err_packet(ok));
  EXPECT_FALSE(is_eof_packet(ok));
  std::string ok_eof = encode_ok(OkPacket{}, kTrack, 0xfe);
  EXPECT_TRUE(is_eof_packet(ok_eof));
  EXPECT_FALSE(is_ok_packet(ok_eof));
  auto parsed = parse_ok(ok_eof, kTrack);
  ASSERT_TRUE(parsed.has_value());
}

TEST(Ok, Malformed) {
  EXPECT_FALSE(parse_ok("", k41).has_value());
  EXPECT_FALSE(parse_ok(std::string("\x01\x00\x00\x00\x00\x00\x00", 7), k41).has_value());
  // Session-tracked info string claims 16 bytes, 3 present.
  auto bad = parse_ok(std::string("\x00\x00\x00\x00\x00\x00\x00\x10"
                                  "abc",
                                  11),
                      kTrack);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, errc::kMalformedPacket);
  EXPECT_NE(bad.error().message.find("info"), std::string::npos);
  std::string full =
      encode_ok(OkPacket{1000, 1 << 20, status::kSessionStateChanged, 1, "info", "state"}, kTrack);
  for (size_t n = 0; n < full.size(); ++n) {
    std::string prefix = full.substr(0, n);
    auto r = parse_ok(prefix, kTrack);
    // Only the trailing optional parts may be cut off cleanly.
    if (r) {
      EXPECT_GE(n, 12u) << n;
    }
  }
}

TEST(Err, EncodesAndRoundTrips) {
  Error e{errc::kAccessDenied, "28000", "Access denied for user 'bob'"};
  std::string p = encode_err(e, k41);
  EXPECT_EQ(p, std::string("\xff\x15\x04#28000Access denied for user 'bob'", 37));
  EXPECT_TRUE(is_err_packet(p));
  auto parsed = parse_err(p, k41);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->code, e.code);
  EXPECT_EQ(parsed->sqlstate, e.sqlstate);
  EXPECT_EQ(parsed->message, e.message);
}

TEST(Err, WithoutProtocol41HasNoSqlstate) {
  Error e{errc::kTooManyConnections, "08004", "Too many connections"};
  std::string p = encode_err(e, 0);
  EXPECT_EQ(p, std::string("\xff\x10\x04Too many connections", 23));
  auto parsed = parse_err(p, 0);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->code, errc::kTooManyConnections);
  EXPECT_EQ(parsed->sqlstate, "HY000");
  EXPECT_EQ(parsed->message, "Too many connections");
}

TEST(Err, BadSqlstateIsReplaced) {
  Error e{1, "toolong", "m"};
  EXPECT_EQ(encode_err(e, k41), std::string("\xff\x01\x00#HY000m", 10));
}

TEST(Err, Malformed) {
  EXPECT_FALSE(parse_err("", k41).has_value());
  EXPECT_FALSE(parse_err("\xff\x01", k41).has_value());
  EXPECT_FALSE(parse_err(std::string("\x00\x01\x00", 3), k41).has_value());
  auto short_state = parse_err(std::string("\xff\x01\x00#HY0", 7), k41);
  ASSERT_TRUE(short_state.has_value());
  EXPECT_EQ(short_state->message, "#HY0");
}

TEST(Eof, EncodesAndRoundTrips) {
  EofPacket eof{3, status::kAutocommit | status::kMoreResultsExist};
  std::string p = encode_eof(eof, k41);
  EXPECT_EQ(p, std::string("\xfe\x03\x00\x0a\x00", 5));
  EXPECT_TRUE(is_eof_packet(p));
  auto parsed = parse_eof(p);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->warnings, 3);
  EXPECT_EQ(parsed->status_flags, eof.status_flags);
  EXPECT_EQ(encode_eof(eof, 0), "\xfe");
  EXPECT_TRUE(parse_eof("\xfe").has_value());
}

TEST(Eof, Malformed) {
  EXPECT_FALSE(parse_eof("").has_value());
  EXPECT_FALSE(parse_eof(std::string("\x00\x00\x00\x00\x00", 5)).has_value());
  EXPECT_FALSE(parse_eof("\xfe\x01\x02").has_value());
  // A 0xfe row of nine or more bytes is not an EOF.
  std::string row("\xfe\x08\x00\x00\x00\x00\x00\x00\x00", 9);
  EXPECT_FALSE(is_eof_packet(row));
  EXPECT_FALSE(parse_eof(row).has_value());
}

TEST(ResultsetEnd, DependsOnDeprecateEof) {
  constexpr uint32_t kDeprecate = kTrack | cap::kDeprecateEof;
  std::string eof = encode_eof({0, status::kAutocommit}, k41);
  EXPECT_TRUE(is_resultset_end(eof, k41));
  // An OK ending a result set may carry session state and grow past 9 bytes.
  std::string long_ok =
      encode_ok({0, 0, status::kSessionStateChanged, 0, "", "\x01\x05\x04shop"}, kDeprecate, 0xfe);
  ASSERT_GE(long_ok.size(), 9u);
  EXPECT_FALSE(is_eof_packet(long_ok));
  EXPECT_TRUE(is_resultset_end(long_ok, kDeprecate));
  EXPECT_FALSE(is_resultset_end(long_ok, k41));
  // A row whose first field is 16 MiB or longer starts with 0xfe too.
  std::string huge_row(kMaxPacketPayload, 'x');
  huge_row[0] = '\xfe';
  EXPECT_FALSE(is_resultset_end(huge_row, kDeprecate));
  EXPECT_FALSE(is_resultset_end(std::string("\x01"
                                            "a",
                                            2),
                                kDeprecate));
  EXPECT_FALSE(is_resultset_end("", kDeprecate));
}

}  // namespace
}  // namespace gp::mysql
