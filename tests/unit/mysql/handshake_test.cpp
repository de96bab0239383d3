#include "mysql/handshake.h"

#include <gtest/gtest.h>

#include <string>

#include "mysql/auth.h"
#include "mysql/packet.h"
#include "mysql/protocol.h"

namespace gp::mysql {
namespace {

constexpr uint32_t kClientCaps = cap::kLongPassword | cap::kLongFlag | cap::kProtocol41 |
                                 cap::kTransactions | cap::kSecureConnection | cap::kMultiResults |
                                 cap::kPluginAuth | cap::kConnectAttrs |
                                 cap::kPluginAuthLenencData | cap::kDeprecateEof;

HandshakeV10 sample_greeting() {
  HandshakeV10 hs;
  hs.server_version = "8.0.36-genaiproxy";
  hs.connection_id = 0x01020304;
  hs.auth_data = "ABCDEFGHIJKLMNOPQRST";
  hs.capabilities = kServerCapabilities;
  hs.charset = 255;
  hs.status_flags = status::kAutocommit;
  hs.auth_plugin = std::string(kCachingSha2Password);
  return hs;
}

TEST(HandshakeV10, EncodesTheDocumentedLayout) {
  std::string p = encode_handshake_v10(sample_greeting());
  std::string expected;
  expected += '\x0a';
  expected += std::string("8.0.36-genaiproxy\0", 18);
  expected += std::string("\x04\x03\x02\x01", 4);
  expected += std::string("ABCDEFGH\0", 9);
  put_int2(expected, kServerCapabilities & 0xffff);
  expected += '\xff';
  expected += std::string("\x02\x00", 2);
  put_int2(expected, kServerCapabilities >> 16);
  expected += '\x15';
  expected += std::string(10, '\0');
  expected += std::string("IJKLMNOPQRST\0", 13);
  expected += std::string("caching_sha2_password\0", 22);
  EXPECT_EQ(p, expected);
}

TEST(HandshakeV10, RoundTrip) {
  HandshakeV10 hs = sample_greeting();
  auto parsed = parse_handshake_v10(encode_handshake_v10(hs));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->server_version, hs.server_version);
  EXPECT_EQ(parsed->connection_id, hs.connection_id);
  EXPECT_EQ(parsed->auth_data, hs.auth_data);
  EXPECT_EQ(parsed->capabilities, hs.capabilities);
  EXPECT_EQ(parsed->charset, hs.charset);
  EXPECT_EQ(parsed->status_flags, hs.status_flags);
  EXPECT_EQ(parsed->auth_plugin, hs.auth_plugin);
}

TEST(HandshakeV10, RoundTripWithGeneratedNonce) {
  HandshakeV10 hs;
  hs.server_version = "5.7.99";
  hs.auth_data = make_nonce();
  hs.capabilities = kServerCapabilities;
  auto parsed = parse_handshake_v10(encode_handshake_v10(hs));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->auth_data, hs.auth_data);
  EXPECT_EQ(parsed->auth_plugin, kNativePassword);
}

TEST(HandshakeV10, ParsesMySql8Layout) {
  // Laid out as MySQL 8.0 greets: all capabilities, utf8mb4_0900_ai_ci,
  // caching_sha2_password.
  std::string p;
  p += '\x0a';
  p += std::string("8.0.36\0", 7);
  p += std::string("\x2a\x00\x00\x00", 4);
  p += std::string("\x11\x22\x33\x44\x55\x66\x77\x08", 8);
  p += '\0';
  p += "\xff\xff";
  p += '\xff';
  p += std::string("\x02\x00", 2);
  p += "\xff\xdf";
  p += '\x15';
  p += std::string(10, '\0');
  p += std::string("\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\0", 13);
  p += std::string("caching_sha2_password\0", 22);
  auto hs = parse_handshake_v10(p);
  ASSERT_TRUE(hs.has_value()) << hs.error().message;
  EXPECT_EQ(hs->server_version, "8.0.36");
  EXPECT_EQ(hs->connection_id, 42u);
  EXPECT_EQ(hs->capabilities, 0xdfffffffu);
  EXPECT_EQ(hs->charset, 255);
  EXPECT_EQ(hs->status_flags, 2);
  EXPECT_EQ(hs->auth_data, std::string("\x11\x22\x33\x44\x55\x66\x77\x08\x09\x0a\x0b\x0c\x0d\x0e"
                                       "\x0f\x10\x11\x12\x13\x14"));
  EXPECT_EQ(hs->auth_plugin, "caching_sha2_password");
}

TEST(HandshakeV10, PluginNameWithoutTerminatorIsAccepted) {
  std::string p = encode_handshake_v10(sample_greeting());
  p.pop_back();
  auto hs = parse_handshake_v10(p);
  ASSERT_TRUE(hs.has_value());
  EXPECT_EQ(hs->auth_plugin, "caching_sha2_password");
}

TEST(HandshakeV10, RejectsOtherProtocolsAndErrors) {
  auto v9 =
      parse_handshake_v10(std::string("\x09"
                                      "3.23\0",
                                      6));
  ASSERT_FALSE(v9.has_value());
  EXPECT_EQ(v9.error().code, errc::kHandshakeError);
  EXPECT_NE(v9.error().message.find("protocol version 9"), std::string::npos);
  auto err = parse_handshake_v10(std::string("\xff\x10\x04Too many connections", 23));
  ASSERT_FALSE(err.has_value());
  EXPECT_FALSE(parse_handshake_v10("").has_value());
}

HandshakeResponse41 sample_response() {
  HandshakeResponse41 r;
  r.capabilities = kClientCaps | cap::kConnectWithDb;
  r.max_packet_size = 1 << 24;
  r.charset = 45;
  r.username = "alice";
  r.auth_response = native_password_scramble("pw", "ABCDEFGHIJKLMNOPQRST");
  r.database = "shop";
  r.auth_plugin = std::string(kNativePassword);
  r.attributes = {{"_client_name", "libmariadb"}, {"_os", "Linux"}, {"empty", ""}};
  return r;
}

void expect_same(const HandshakeResponse41& a, const HandshakeResponse41& b) {
  EXPECT_EQ(a.capabilities, b.capabilities);
  EXPECT_EQ(a.max_packet_size, b.max_packet_size);
  EXPECT_EQ(a.charset, b.charset);
  EXPECT_EQ(a.username, b.username);
  EXPECT_EQ(a.auth_response, b.auth_response);
  EXPECT_EQ(a.database, b.database);
  EXPECT_EQ(a.auth_plugin, b.auth_plugin);
  EXPECT_EQ(a.attributes, b.attributes);
}

TEST(HandshakeResponse41, RoundTripLenencAuth) {
  HandshakeResponse41 r = sample_response();
  auto parsed = parse_handshake_response41(encode_handshake_response41(r));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  expect_same(*parsed, r);
}

TEST(HandshakeResponse41, RoundTripOneByteAuthLength) {
  HandshakeResponse41 r = sample_response();
  r.capabilities &= ~(cap::kPluginAuthLenencData | cap::kConnectAttrs);
  r.attributes.clear();
  std::string p = encode_handshake_response41(r);
  EXPECT_EQ(p[32 + 6], '\x14');  // after "alice\0": a one-byte length of 20
  auto parsed = parse_handshake_response41(p);
  ASSERT_TRUE(parsed.has_value());
  expect_same(*parsed, r);
}

TEST(HandshakeResponse41, RoundTripNulTerminatedAuth) {
  HandshakeResponse41 r = sample_response();
  r.capabilities = cap::kProtocol41 | cap::kConnectWithDb;
  r.auth_response = "plain";
  r.auth_plugin.clear();
  r.attributes.clear();
  auto parsed = parse_handshake_response41(encode_handshake_response41(r));
  ASSERT_TRUE(parsed.has_value());
  expect_same(*parsed, r);
}

TEST(HandshakeResponse41, FieldsAbsentWithoutTheirCapabilities) {
  HandshakeResponse41 r = sample_response();
  r.capabilities &= ~(cap::kConnectWithDb | cap::kPluginAuth | cap::kConnectAttrs);
  auto parsed = parse_handshake_response41(encode_handshake_response41(r));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->database, "");
  EXPECT_EQ(parsed->auth_plugin, "");
  EXPECT_TRUE(parsed->attributes.empty());
  EXPECT_EQ(parsed->auth_response, r.auth_response);
}

TEST(HandshakeResponse41, EncodesTheDocumentedLayout) {
  HandshakeResponse41 r;
  r.capabilities = cap::kProtocol41 | cap::kSecureConnection | cap::kPluginAuth;
  r.max_packet_size = 0x01000000;
  r.charset = 33;
  r.username = "u";
  r.auth_response = "\x01\x02";
  r.auth_plugin = "p";
  std::string expected;
  put_int4(expected, r.capabilities);
  expected += std::string("\x00\x00\x00\x01\x21", 5);
  expected += std::string(23, '\0');
  expected += std::string("u\0\x02\x01\x02p\0", 7);
  EXPECT_EQ(encode_handshake_response41(r), expected);
}

TEST(HandshakeResponse41, LenientTrailingFields) {
  HandshakeResponse41 r = sample_response();
  r.capabilities &= ~cap::kConnectAttrs;
  r.attributes.clear();
  std::string p = encode_handshake_response41(r);
  // Without the plugin name at all (older clients stop after the database).
  std::string no_plugin = p.substr(0, p.size() - kNativePassword.size() - 1);
  auto a = parse_handshake_response41(no_plugin);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->database, "shop");
  EXPECT_EQ(a->auth_plugin, "");
  // Plugin name missing its NUL.
  auto b = parse_handshake_response41(p.substr(0, p.size() - 1));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->auth_plugin, kNativePassword);
}

TEST(HandshakeResponse41, RejectsPre41Clients) {
  HandshakeResponse41 r = sample_response();
  r.capabilities &= ~cap::kProtocol41;
  auto parsed = parse_handshake_response41(encode_handshake_response41(r));
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, errc::kHandshakeError);
  EXPECT_EQ(parsed.error().sqlstate, "08S01");
}

TEST(HandshakeResponse41, RejectsOverlongLengths) {
  HandshakeResponse41 r = sample_response();
  std::string p = encode_handshake_response41(r);
  // The auth response length byte claims more than the packet holds.
  std::string bad_auth = p;
  bad_auth[32 + 6] = '\xfc';
  bad_auth.insert(32 + 7, "\xff\xff");
  EXPECT_FALSE(parse_handshake_response41(bad_auth).has_value());
  // The attribute block length exceeds what is left.
  HandshakeResponse41 no_attrs = r;
  no_attrs.capabilities &= ~cap::kConnectAttrs;
  size_t attrs_at = encode_handshake_response41(no_attrs).size();
  std::string bad_attrs = p;
  ASSERT_EQ(static_cast<uint8_t>(bad_attrs[attrs_at]), p.size() - attrs_at - 1);
  bad_attrs[attrs_at] = static_cast<char>(bad_attrs[attrs_at] + 1);
  auto parsed = parse_handshake_response41(bad_attrs);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message.find("attributes"), std::string::npos);
}

TEST(HandshakeResponse41, EveryTruncationFailsOrParsesWithoutOverRead) {
  std::string p = encode_handshake_response41(sample_response());
  size_t failures = 0;
  for (size_t n = 0; n < p.size(); ++n) {
    // A copy exactly n bytes long lets the sanitizers catch any over-read.
    std::string prefix = p.substr(0, n);
    auto parsed = parse_handshake_response41(prefix);
    if (!parsed) {
      ++failures;
      EXPECT_EQ(parsed.error().code, errc::kHandshakeError);
      EXPECT_FALSE(parsed.error().message.empty());
    }
  }
  // Everything up to the user name's NUL is mandatory.
  EXPECT_GE(failures, 32u + 6u);
}

TEST(SslRequest, ExactlyThirtyTwoBytesWithSslFlag) {
  HandshakeResponse41 r;
  r.capabilities = kClientCaps | cap::kSsl;
  std::string full = encode_handshake_response41(r);
  std::string ssl = full.substr(0, 32);
  EXPECT_TRUE(is_ssl_request(ssl));
  EXPECT_FALSE(is_ssl_request(full));
  EXPECT_FALSE(is_ssl_request(ssl.substr(0, 31)));
  r.capabilities &= ~cap::kSsl;
  EXPECT_FALSE(is_ssl_request(encode_handshake_response41(r).substr(0, 32)));
  EXPECT_FALSE(is_ssl_request(""));
}

TEST(AuthSwitch, RoundTripAddsAndStripsTheNul) {
  AuthSwitchRequest req{std::string(kNativePassword), "ABCDEFGHIJKLMNOPQRST"};
  std::string p = encode_auth_switch_request(req);
  EXPECT_EQ(p, std::string("\xfemysql_native_password\0ABCDEFGHIJKLMNOPQRST\0", 44));
  auto parsed = parse_auth_switch_request(p);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->plugin, req.plugin);
  EXPECT_EQ(parsed->data, req.data);
}

TEST(AuthSwitch, Malformed) {
  EXPECT_FALSE(parse_auth_switch_request("").has_value());
  EXPECT_FALSE(parse_auth_switch_request(std::string("\x00plugin\0", 8)).has_value());
  auto no_nul = parse_auth_switch_request("\xfeplugin");
  ASSERT_FALSE(no_nul.has_value());
  EXPECT_EQ(no_nul.error().code, errc::kMalformedPacket);
  auto bare =
      parse_auth_switch_request(std::string("\xfe"
                                            "p\0",
                                            3));
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->data, "");
}

TEST(AuthMoreData, Prefix) {
  EXPECT_EQ(encode_auth_more_data("\x03"), "\x01\x03");
  EXPECT_EQ(encode_auth_more_data(""), "\x01");
}

}  // namespace
}  // namespace gp::mysql
