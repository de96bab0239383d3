// Connection phase: the server greeting (HandshakeV10), the client's answer
// (HandshakeResponse41, SSLRequest) and the auth exchange packets. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace gp::mysql {

struct HandshakeV10 {
  std::string server_version;
  uint32_t connection_id = 0;
  std::string auth_data;  // the 20-byte nonce (scramble), without trailing NUL
  uint32_t capabilities = 0;
  uint8_t charset = 45;  // utf8mb4_general_ci
  uint16_t status_flags = 0x0002;
  std::string auth_plugin = "mysql_native_password";
};

std::string encode_handshake_v10(const HandshakeV10& hs);
Result<HandshakeV10> parse_handshake_v10(std::string_view payload);

struct HandshakeResponse41 {
  uint32_t capabilities = 0;
  uint32_t max_packet_size = 16777216;
  uint8_t charset = 45;
  std::string username;
  std::string auth_response;
  std::string database;     // set only with CLIENT_CONNECT_WITH_DB
  std::string auth_plugin;  // set only with CLIENT_PLUGIN_AUTH
  std::vector<std::pair<std::string, std::string>> attributes;
};

// COM_CHANGE_USER (the payload after the command byte 0x11), read with the
// capabilities negotiated at login.
struct ChangeUser {
  std::string username;
  std::string auth_response;
  std::string database;
  uint16_t charset = 0;     // 0 when the client sent none
  std::string auth_plugin;  // set only with CLIENT_PLUGIN_AUTH
};
Result<ChangeUser> parse_change_user(std::string_view payload, uint32_t capabilities);

// True when the payload is an SSLRequest (a 32-byte response with CLIENT_SSL).
bool is_ssl_request(std::string_view payload);
Result<HandshakeResponse41> parse_handshake_response41(std::string_view payload);
std::string encode_handshake_response41(const HandshakeResponse41& r);

// 0xfe, plugin name, plugin data. The encoder adds a NUL after `data` (clients
// expect the 20-byte scramble + NUL); the parser strips one trailing NUL.
struct AuthSwitchRequest {
  std::string plugin;
  std::string data;
};
std::string encode_auth_switch_request(const AuthSwitchRequest& r);
Result<AuthSwitchRequest> parse_auth_switch_request(std::string_view payload);

// 0x01 + data (e.g. caching_sha2_password's 0x03 "fast auth ok", 0x04 "full auth").
std::string encode_auth_more_data(std::string_view data);

}  // namespace gp::mysql
