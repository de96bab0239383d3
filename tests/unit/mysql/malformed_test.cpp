// Every parser facing the network must turn any byte string into a value or
// a clear error. Truncations and mutations of valid packets are run through
// all of them (build with sanitizers to catch over-reads).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "mysql/auth.h"
#include "mysql/handshake.h"
#include "mysql/messages.h"
#include "mysql/packet.h"
#include "mysql/prepared.h"
#include "mysql/resultset.h"

namespace gp::mysql {
namespace {

constexpr uint32_t kCaps = kServerCapabilities;

void expect_clear_error(const Error& e) {
  EXPECT_TRUE(e.code == errc::kMalformedPacket || e.code == errc::kHandshakeError) << e.code;
  EXPECT_EQ(e.sqlstate.size(), 5u);
  EXPECT_FALSE(e.message.empty());
}

// The shape of the binary rows and COM_STMT_EXECUTE packets among valid_packets().
std::vector<Column> binary_columns() {
  Column time;
  time.type = ColumnType::kTime;
  return {Column::bigint("n"), Column::text("s"), time};
}
const std::vector<ParamType> kParamTypes = {{ColumnType::kLongLong, false},
                                            {ColumnType::kVarString, false},
                                            {ColumnType::kDateTime, false}};

// Runs every client- and server-side parser over `p`; returns how many failed.
int parse_all(const std::string& p) {
  int failures = 0;
  auto check = [&](const auto& r) {
    if (!r) {
      ++failures;
      expect_clear_error(r.error());
    }
  };
  check(parse_handshake_v10(p));
  check(parse_handshake_response41(p));
  check(parse_auth_switch_request(p));
  check(parse_ok(p, kCaps));
  check(parse_ok(p, 0));
  check(parse_err(p, kCaps));
  check(parse_eof(p));
  check(parse_column_count(p));
  check(parse_column_definition(p));
  check(parse_text_row(p, 3));
  check(parse_prepare_ok_header(p));
  check(statement_id_of(p));
  check(parse_send_long_data(p));
  check(parse_execute(p, 3, {}, {}));
  check(parse_execute(p, 3, kParamTypes, {std::nullopt, std::string("long")}));
  check(parse_binary_row(p, binary_columns()));
  is_ssl_request(p);
  is_ok_packet(p);
  is_err_packet(p);
  is_eof_packet(p);
  return failures;
}

std::vector<std::string> valid_packets() {
  HandshakeV10 hs;
  hs.server_version = "10.11.0-proxy";
  hs.auth_data = make_nonce();
  hs.capabilities = kCaps;
  HandshakeResponse41 resp;
  resp.capabilities = kCaps | cap::kConnectWithDb;
  resp.username = "user";
  resp.auth_response = native_password_scramble("pw", hs.auth_data);
  resp.database = "db";
  resp.auth_plugin = std::string(kNativePassword);
  resp.attributes = {{"k", "v"}, {"_client_name", "test"}};
  Column col = Column::text("col");
  col.table = "t";
  col.schema = "s";
  std::string prepare_ok;
  uint8_t seq = 0;
  append_prepare_ok(prepare_ok, seq, {9, {param_column()}, {}, 0, 0}, kCaps);
  // COM_STMT_EXECUTE: statement 9, no cursor, 1 iteration, no NULLs, types
  // bound: LONGLONG 7, VAR_STRING "ab", DATETIME 2024-01-02 03:04:05.6.
  std::string execute(
      "\x17\x09\x00\x00\x00\x00\x01\x00\x00\x00\x00\x01"
      "\x08\x00\xfd\x00\x0c\x00"
      "\x07\x00\x00\x00\x00\x00\x00\x00"
      "\x02"
      "ab"
      "\x0b\xe8\x07\x01\x02\x03\x04\x05\xc0\x27\x09\x00",
      41);
  return {
      encode_handshake_v10(hs),
      encode_handshake_response41(resp),
      encode_auth_switch_request({std::string(kCachingSha2Password), make_nonce()}),
      encode_ok({70000, 1ull << 33, status::kSessionStateChanged, 1, "info", "state"}, kCaps),
      encode_err({errc::kAccessDenied, "28000", "denied"}, kCaps),
      encode_eof({1, 2}, kCaps),
      encode_column_definition(col),
      encode_text_row({"a", std::nullopt, std::string(300, 'b')}),
      prepare_ok.substr(4, 12),
      execute,
      std::string("\x18\x09\x00\x00\x00\x01\x00long data", 16),
      *encode_binary_row({"-5", std::nullopt, "-49:30:00.25"}, binary_columns()),
  };
}

TEST(Malformed, GreetingTruncatedBeforePluginFails) {
  std::string p = valid_packets()[0];
  size_t plugin_at = p.size() - kNativePassword.size() - 1;
  for (size_t n = 1; n < plugin_at; ++n) {
    std::string prefix = p.substr(0, n);
    auto r = parse_handshake_v10(prefix);
    // Only the pre-4.1 cut right after the capability flags is a valid greeting.
    if (r) {
      EXPECT_EQ(n, 1 + 14 + 4 + 9 + 2) << n;
    } else {
      expect_clear_error(r.error());
    }
  }
}

TEST(Malformed, PreparedStatementPacketsAreValid) {
  // Each is whole and valid for its parser, so that its mutations probe past the header.
  auto packets = valid_packets();
  int valid = 0;
  for (const auto& p : packets) {
    valid += parse_prepare_ok_header(p).has_value() && p.size() == 12;
    valid += parse_execute(p, 3, {}, {}).has_value();
    valid += parse_send_long_data(p).has_value();
    valid += parse_binary_row(p, binary_columns()).has_value();
  }
  EXPECT_EQ(valid, 4);
}

TEST(Malformed, EveryPrefixOfEveryPacket) {
  int total_failures = 0;
  for (const auto& p : valid_packets()) {
    for (size_t n = 0; n <= p.size(); ++n) total_failures += parse_all(p.substr(0, n));
  }
  EXPECT_GT(total_failures, 0);
}

TEST(Malformed, RandomMutations) {
  std::mt19937 rng(12345);
  int total_failures = 0;
  for (const auto& original : valid_packets()) {
    for (int round = 0; round < 300; ++round) {
      std::string p = original;
      int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !p.empty(); ++e) {
        size_t at = rng() % p.size();
        switch (rng() % 3) {
          case 0:
            p[at] = static_cast<char>(rng());
            break;
          case 1:
            p.erase(at, 1 + rng() % 8);
            break;
          default:
            p.insert(at, 1, static_cast<char>(0xf8 + rng() % 8));  // lenenc-ish markers
        }
      }
      total_failures += parse_all(p);
    }
  }
  EXPECT_GT(total_failures, 0);
}

TEST(Malformed, HugeLengthsDoNotAllocate) {
  std::string huge_lenenc("\xfe\xff\xff\xff\xff\xff\xff\xff\x7f", 9);
  EXPECT_FALSE(parse_column_definition(huge_lenenc).has_value());
  EXPECT_FALSE(parse_text_row("\x01" + huge_lenenc, 2).has_value());
  std::string ok = std::string("\x00\x00\x00\x00\x00\x00\x00", 7) + huge_lenenc;
  EXPECT_FALSE(parse_ok(ok, kCaps).has_value());
  std::string execute("\x17\x01\x00\x00\x00\x00\x01\x00\x00\x00\x00\x01\xfd\x00", 14);
  EXPECT_FALSE(parse_execute(execute + huge_lenenc, 1, {}, {}).has_value());
  EXPECT_FALSE(parse_binary_row(std::string("\x00\x00", 2) + huge_lenenc, {Column::text("s")}));
}

TEST(Malformed, PacketReaderOnGarbage) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    PacketReader reader(1 << 16);
    std::string garbage(rng() % 512, '\0');
    for (auto& c : garbage) c = static_cast<char>(rng());
    reader.feed(garbage);
    uint8_t seq = 0;
    size_t returned = 0;
    while (true) {
      auto r = reader.next(seq);
      if (!r) {
        EXPECT_EQ(r.error().code, errc::kNetPacketTooLarge);
        break;
      }
      if (!*r) break;
      returned += 4 + (*r)->size();
    }
    EXPECT_LE(returned + reader.buffered(), garbage.size());
  }
}

}  // namespace
}  // namespace gp::mysql
