// fuzz-sources: src/mysql/*.cpp
// Server-side parsers: what an untrusted client can send before and during
// the handshake. The input is a byte stream, cut into packets by PacketReader;
// each packet is parsed as a handshake response, checked as an SSLRequest and
// parsed as a COM_CHANGE_USER payload (with and without SECURE_CONNECTION).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mysql/handshake.h"
#include "mysql/packet.h"
#include "mysql/protocol.h"

namespace {

void check_response(std::string_view payload) {
  bool ssl = gp::mysql::is_ssl_request(payload);
  auto resp = gp::mysql::parse_handshake_response41(payload);
  if (ssl && payload.size() != 32) __builtin_trap();
  if (resp) {
    // Whatever parsed must survive a re-encode and parse back to equal values.
    auto again =
        gp::mysql::parse_handshake_response41(gp::mysql::encode_handshake_response41(*resp));
    if (!again || again->username != resp->username || again->database != resp->database ||
        again->attributes != resp->attributes) {
      __builtin_trap();
    }
  } else if (resp.error().message.empty() || resp.error().sqlstate.size() != 5) {
    __builtin_trap();
  }
  for (uint32_t caps : {gp::mysql::cap::kProtocol41 | gp::mysql::cap::kSecureConnection |
                            gp::mysql::cap::kPluginAuth,
                        gp::mysql::cap::kProtocol41}) {
    auto change = gp::mysql::parse_change_user(payload, caps);
    if (change && change->username.size() > payload.size()) __builtin_trap();
    if (!change && change.error().message.empty()) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_response(bytes);

  // The first byte picks how the stream is fed, to exercise partial frames.
  size_t chunk = size == 0 ? 1 : 1 + data[0] % 64;
  gp::mysql::PacketReader reader(1 << 20);
  size_t delivered = 0;
  for (size_t off = 0; off < size; off += chunk) {
    reader.feed(bytes.substr(off, chunk));
    while (true) {
      uint8_t seq = 0;
      auto packet = reader.next(seq);
      if (!packet) return 0;  // too large: the session would end here
      if (!*packet) break;
      delivered += 4 + (*packet)->size();
      check_response(**packet);
    }
  }
  if (delivered + reader.buffered() > size) __builtin_trap();
  return 0;
}
