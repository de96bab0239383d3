// OK, ERR and EOF packets: encoders for the server side, parsers for the
// client side. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace gp::mysql {

struct OkPacket {
  uint64_t affected_rows = 0;
  uint64_t last_insert_id = 0;
  uint16_t status_flags = 0;
  uint16_t warnings = 0;
  std::string info;
  // Raw session-state-change data (only with CLIENT_SESSION_TRACK and
  // SERVER_SESSION_STATE_CHANGED); carried through untouched by the proxy.
  std::string session_state;
};

struct EofPacket {
  uint16_t warnings = 0;
  uint16_t status_flags = 0;
};

// `header` is 0x00 for an OK, 0xfe for an OK that ends a result set when
// CLIENT_DEPRECATE_EOF is on.
std::string encode_ok(const OkPacket& ok, uint32_t capabilities, uint8_t header = 0x00);
std::string encode_err(const Error& err, uint32_t capabilities);
std::string encode_eof(const EofPacket& eof, uint32_t capabilities);

bool is_ok_packet(std::string_view payload);   // 0x00 header, length >= 7
bool is_err_packet(std::string_view payload);  // 0xff header
// 0xfe header and shorter than 9 bytes (an EOF, or an OK ending a result set
// under DEPRECATE_EOF); a longer 0xfe packet is a row whose first field is long.
bool is_eof_packet(std::string_view payload);

Result<OkPacket> parse_ok(std::string_view payload, uint32_t capabilities);
Result<Error> parse_err(std::string_view payload, uint32_t capabilities);
Result<EofPacket> parse_eof(std::string_view payload);

}  // namespace gp::mysql
