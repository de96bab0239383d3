// fuzz-sources: src/mysql/*.cpp
// Client-side parsers: what a (possibly broken or hostile) backend server can
// send. The first byte selects the parser, the rest is the packet payload.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mysql/handshake.h"
#include "mysql/messages.h"
#include "mysql/protocol.h"
#include "mysql/resultset.h"

namespace {

using namespace gp::mysql;

constexpr uint32_t kCaps = kServerCapabilities;

template <class R>
void check_error(const R& r) {
  if (!r && (r.error().message.empty() || r.error().sqlstate.size() != 5)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view p(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 9) {
    case 0: {
      auto hs = parse_handshake_v10(p);
      check_error(hs);
      if (hs) {
        auto again = parse_handshake_v10(encode_handshake_v10(*hs));
        if (!again || again->server_version != hs->server_version) __builtin_trap();
      }
      break;
    }
    case 1:
      check_error(parse_ok(p, kCaps));
      check_error(parse_ok(p, 0));
      is_ok_packet(p);
      break;
    case 2:
      check_error(parse_err(p, kCaps));
      is_err_packet(p);
      break;
    case 3:
      check_error(parse_eof(p));
      if (parse_eof(p).has_value() && !is_eof_packet(p)) __builtin_trap();
      if (is_eof_packet(p) && !is_resultset_end(p, kCaps)) __builtin_trap();
      break;
    case 4:
      check_error(parse_column_count(p));
      break;
    case 5: {
      auto col = parse_column_definition(p);
      check_error(col);
      if (col) {
        auto again = parse_column_definition(encode_column_definition(*col));
        if (!again || again->name != col->name || again->type != col->type) __builtin_trap();
      }
      break;
    }
    case 6:
    case 7: {
      // The second byte is the column count.
      if (p.empty()) break;
      size_t columns = static_cast<uint8_t>(p[0]);
      auto row = parse_text_row(p.substr(1), columns);
      check_error(row);
      if (row && row->size() != columns) __builtin_trap();
      break;
    }
    default: {
      auto sw = parse_auth_switch_request(p);
      check_error(sw);
      break;
    }
  }
  return 0;
}
