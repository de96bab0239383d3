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

// Whether a packet read where a row may come ends the result set. Under
// CLIENT_DEPRECATE_EOF the end is an OK with a 0xfe header, which may be 9
// bytes or more (info, session state); a row can only start with 0xfe in a
// packet of at least 16 MiB - 1 bytes (an 8-byte length), so any shorter 0xfe
// packet is the end. Without it, the end is an EOF (is_eof_packet).
bool is_resultset_end(std::string_view payload, uint32_t capabilities);

Result<OkPacket> parse_ok(std::string_view payload, uint32_t capabilities);
Result<Error> parse_err(std::string_view payload, uint32_t capabilities);
Result<EofPacket> parse_eof(std::string_view payload);

}  // namespace gp::mysql
