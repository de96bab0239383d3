// Real traffic recorded between MariaDB 10.11.19 and two clients: the mariadb
// command-line client (libmariadb 3.3.20) and PyMySQL 1.0.2, both logging in
// as user "app" with password "secret" and database "shop".
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mysql/auth.h"
#include "mysql/handshake.h"
#include "mysql/messages.h"
#include "mysql/packet.h"
#include "mysql/resultset.h"

namespace gp::mysql {
namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::vector<std::string> packets(const std::string& stream) {
  PacketReader reader;
  reader.feed(stream);
  std::vector<std::string> out;
  uint8_t seq = 0;
  while (true) {
    auto next = reader.next(seq);
    EXPECT_TRUE(next.has_value());
    if (!next || !*next) break;
    out.push_back(std::move(**next));
  }
  EXPECT_EQ(reader.buffered(), 0u);
  return out;
}

// Server to the mariadb client: greeting, OK, then "SELECT 1 AS n, 'abc' AS s,
// NULL AS z, 2.5 AS d" answered without DEPRECATE_EOF.
const std::string kCliServerStream = unhex(
    "640000000a352e352e352d31302e31312e31392d4d6172696144422d302b6465623132753100070000002e3e"
    "2e67414e465000fef7080200ff81150000000000001d000000423b3d604e4346753d6b277a006d7973716c5f"
    "6e61746976655f70617373776f7264001000000200000002400000000701050473686f700200000104011800"
    "000203646566000000016e00000c3f00010000000381000000001800000303646566000000017300000c2100"
    "09000000fd01002700001800000403646566000000017a00000c3f0000000000068000000000180000050364"
    "6566000000016400000c3f0004000000f6810001000005000006fe000002000b000007013103616263fb0332"
    "2e3505000008fe00000200");

// The mariadb client: handshake response with connection attributes, the
// query, COM_QUIT.
const std::string kCliClientStream = unhex(
    "d30000018ca2bf000000100021000000000000000000000000000000000000001d0000006170700014f6b6d0"
    "1a129c0071a6d42172ad59f20b2131a18173686f70006d7973716c5f6e61746976655f70617373776f726400"
    "7e035f6f73054c696e75780c5f636c69656e745f6e616d650a6c69626d617269616462045f70696404383030"
    "360f5f636c69656e745f76657273696f6e06332e332e3230095f706c6174666f726d067838365f36340c7072"
    "6f6772616d5f6e616d65056d7973716c0c5f7365727665725f686f7374093132372e302e302e312f00000003"
    "53454c4543542031204153206e2c20276162632720415320732c204e554c4c204153207a2c20322e35204153"
    "20640100000001");

// Server to PyMySQL: greeting, OK, OK for "SET AUTOCOMMIT = 0", then
// "SELECT 1" answered without DEPRECATE_EOF.
const std::string kPyServerStream = unhex(
    "640000000a352e352e352d31302e31312e31392d4d6172696144422d302b6465623132753100080000002a42"
    "4c3a7975606000fef7080200ff81150000000000001d0000004061467a5473682f4e7c4830006d7973716c5f"
    "6e61746976655f70617373776f72640007000002000000020000000700000100000000000000010000010117"
    "000002036465660000000131000c3f000100000003810000000005000003fe00000000020000040131050000"
    "05fe00000000");
const std::string kPyClientResponse = unhex(
    "8a0000010da23a00ffffff002d00000000000000000000000000000000000000000000006170700014945170"
    "73288bb484ccd47d15fb78167b174b965373686f70006d7973716c5f6e61746976655f70617373776f726400"
    "350c5f636c69656e745f6e616d650770796d7973716c045f70696404383031300f5f636c69656e745f766572"
    "73696f6e05312e302e32");

TEST(Captured, MariaDbGreeting) {
  auto server = packets(kCliServerStream);
  ASSERT_EQ(server.size(), 10u);
  auto hs = parse_handshake_v10(server[0]);
  ASSERT_TRUE(hs.has_value()) << hs.error().message;
  EXPECT_EQ(hs->server_version, "5.5.5-10.11.19-MariaDB-0+deb12u1");
  EXPECT_EQ(hs->connection_id, 7u);
  EXPECT_EQ(hs->auth_data.size(), 20u);
  EXPECT_EQ(hs->auth_data, ".>.gANFPB;=`NCFu=k'z");
  EXPECT_EQ(hs->auth_plugin, kNativePassword);
  EXPECT_EQ(hs->charset, 8);
  EXPECT_EQ(hs->status_flags, 2);
  EXPECT_EQ(hs->capabilities, 0x81fff7feu);
  EXPECT_TRUE(hs->capabilities & cap::kProtocol41);
  EXPECT_FALSE(hs->capabilities & cap::kLongPassword);  // MariaDB clears bit 0
}

TEST(Captured, MariaDbClientResponseVerifies) {
  auto server = packets(kCliServerStream);
  auto client = packets(kCliClientStream);
  ASSERT_EQ(client.size(), 3u);
  auto hs = parse_handshake_v10(server[0]);
  ASSERT_TRUE(hs.has_value());
  EXPECT_FALSE(is_ssl_request(client[0]));
  auto resp = parse_handshake_response41(client[0]);
  ASSERT_TRUE(resp.has_value()) << resp.error().message;
  EXPECT_EQ(resp->username, "app");
  EXPECT_EQ(resp->database, "shop");
  EXPECT_EQ(resp->auth_plugin, kNativePassword);
  EXPECT_EQ(resp->charset, 33);
  EXPECT_EQ(resp->max_packet_size, 1u << 20);
  EXPECT_TRUE(resp->capabilities & cap::kConnectAttrs);
  ASSERT_EQ(resp->attributes.size(), 7u);
  EXPECT_EQ(resp->attributes[0], (std::pair<std::string, std::string>{"_os", "Linux"}));
  EXPECT_EQ(resp->attributes[1].second, "libmariadb");
  EXPECT_EQ(resp->attributes[6],
            (std::pair<std::string, std::string>{"_server_host", "127.0.0.1"}));
  // The real client's scramble checks out against the plain and hashed forms.
  EXPECT_EQ(resp->auth_response, native_password_scramble("secret", hs->auth_data));
  EXPECT_TRUE(native_password_verify("secret", hs->auth_data, resp->auth_response));
  EXPECT_TRUE(native_password_verify("*14E65567ABDB5135D0CFD9A70B3032C179A49EE7", hs->auth_data,
                                     resp->auth_response));
  EXPECT_FALSE(native_password_verify("secreT", hs->auth_data, resp->auth_response));
  // Re-encoding gives back the client's exact bytes, except the MariaDB
  // extended capabilities it keeps in the filler.
  std::string reencoded = encode_handshake_response41(*resp);
  std::string original = client[0];
  original.replace(28, 4, 4, '\0');
  EXPECT_EQ(reencoded, original);
  EXPECT_EQ(client[1], "\x03SELECT 1 AS n, 'abc' AS s, NULL AS z, 2.5 AS d");
}

TEST(Captured, OkWithSessionState) {
  auto server = packets(kCliServerStream);
  auto resp = parse_handshake_response41(packets(kCliClientStream)[0]);
  ASSERT_TRUE(resp.has_value());
  uint32_t caps = resp->capabilities & parse_handshake_v10(server[0])->capabilities;
  ASSERT_TRUE(is_ok_packet(server[1]));
  auto ok = parse_ok(server[1], caps);
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_EQ(ok->status_flags, status::kAutocommit | status::kSessionStateChanged);
  EXPECT_EQ(ok->session_state, "\x01\x05\x04shop");  // SESSION_TRACK_SCHEMA
  EXPECT_EQ(encode_ok(*ok, caps), server[1]);

  // The rest of this conversation uses MariaDB's extended result-set metadata
  // (negotiated in the filler bytes), which the proxy never asks for.
  EXPECT_EQ(server[2], std::string("\x04\x01", 2));
}

TEST(Captured, PyMySqlResultSet) {
  auto server = packets(kPyServerStream);
  ASSERT_EQ(server.size(), 8u);
  auto resp = parse_handshake_response41(packets(kPyClientResponse)[0]);
  ASSERT_TRUE(resp.has_value());
  uint32_t caps = resp->capabilities & parse_handshake_v10(server[0])->capabilities;
  EXPECT_FALSE(caps & cap::kDeprecateEof);
  for (size_t i : {1, 2}) {
    ASSERT_TRUE(is_ok_packet(server[i]));
    auto ok = parse_ok(server[i], caps);
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
    EXPECT_EQ(encode_ok(*ok, caps), server[i]);
  }
  EXPECT_EQ(parse_ok(server[1], caps)->status_flags, status::kAutocommit);
  EXPECT_EQ(parse_ok(server[2], caps)->status_flags, 0);

  auto count = parse_column_count(server[3]);
  ASSERT_TRUE(count.has_value());
  ASSERT_EQ(*count, 1u);
  auto col = parse_column_definition(server[4]);
  ASSERT_TRUE(col.has_value()) << col.error().message;
  EXPECT_EQ(col->name, "1");
  EXPECT_EQ(col->type, ColumnType::kLong);
  EXPECT_EQ(col->charset, charset::kBinary);
  EXPECT_EQ(col->length, 1u);
  EXPECT_EQ(col->flags, column_flag::kNotNull | column_flag::kBinary);
  ASSERT_TRUE(is_eof_packet(server[5]));
  auto row = parse_text_row(server[6], 1);
  ASSERT_TRUE(row.has_value()) << row.error().message;
  EXPECT_EQ(*row, Row{"1"});
  auto eof = parse_eof(server[7]);
  ASSERT_TRUE(eof.has_value());

  // The proxy's encoder gives the same bytes but for org_name, which a server
  // leaves empty for an expression and the proxy fills with the name.
  std::string out;
  uint8_t seq = 1;
  append_resultset(out, seq, ResultSet{{*col}, {*row}, 0}, caps, eof->status_flags);
  std::string expected = kPyServerStream.substr(kPyServerStream.size() - 56);
  ASSERT_EQ(expected.substr(0, 9), std::string("\x01\x00\x00\x01\x01\x17\x00\x00\x02", 9));
  expected[5] = '\x18';  // the definition grows by one byte
  ASSERT_EQ(expected.substr(16, 3), std::string("\x01"
                                                "1\x00",
                                                3));
  expected.replace(18, 1,
                   "\x01"
                   "1");  // org_name "1" instead of ""
  EXPECT_EQ(out, expected);
}

TEST(Captured, PyMySqlResponseVerifies) {
  auto greeting = packets(kPyServerStream);
  auto response = packets(kPyClientResponse);
  ASSERT_EQ(response.size(), 1u);
  auto hs = parse_handshake_v10(greeting[0]);
  ASSERT_TRUE(hs.has_value());
  auto resp = parse_handshake_response41(response[0]);
  ASSERT_TRUE(resp.has_value()) << resp.error().message;
  EXPECT_EQ(resp->username, "app");
  EXPECT_EQ(resp->database, "shop");
  EXPECT_EQ(resp->charset, 45);
  EXPECT_EQ(resp->max_packet_size, 0x00ffffffu);
  EXPECT_TRUE(resp->capabilities & cap::kPluginAuthLenencData);
  ASSERT_EQ(resp->attributes.size(), 3u);
  EXPECT_EQ(resp->attributes[0].second, "pymysql");
  EXPECT_TRUE(native_password_verify("secret", hs->auth_data, resp->auth_response));
  EXPECT_EQ(encode_handshake_response41(*resp), response[0]);
}

}  // namespace
}  // namespace gp::mysql
