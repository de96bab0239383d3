// Packet framing and the protocol's basic encodings. Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace gp::mysql {

// Appends `payload` to `out` as one logical packet: split into frames of at
// most 16 MiB - 1 bytes (with an empty trailing frame when the last is full),
// each with the next sequence id. `seq` is advanced past the frames written.
void append_packet(std::string& out, uint8_t& seq, std::string_view payload);

// Reassembles logical packets from a byte stream. Feed bytes as they arrive;
// `next()` yields each complete logical payload (frames of 16 MiB - 1 joined).
class PacketReader {
 public:
  explicit PacketReader(size_t max_payload = 1u << 30) : max_payload_(max_payload) {}

  void feed(std::string_view bytes) { buffer_.append(bytes); }

  // A smaller limit applies before login, so that an unauthenticated peer
  // cannot make the proxy buffer a large packet.
  void set_max_payload(size_t max_payload) { max_payload_ = max_payload; }

  // A complete payload, std::nullopt when more bytes are needed, or an error
  // when a packet exceeds max_payload. `seq` receives the sequence id of the
  // packet's last frame.
  Result<std::optional<std::string>> next(uint8_t& seq);

  // Bytes received but not yet returned as a packet.
  size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  std::string buffer_;
  size_t consumed_ = 0;
  size_t max_payload_;
};

// Writers of the protocol's integer and string encodings.
void put_int1(std::string& out, uint8_t v);
void put_int2(std::string& out, uint16_t v);
void put_int3(std::string& out, uint32_t v);
void put_int4(std::string& out, uint32_t v);
void put_int8(std::string& out, uint64_t v);
void put_lenenc_int(std::string& out, uint64_t v);
void put_lenenc_str(std::string& out, std::string_view s);
void put_null_str(std::string& out, std::string_view s);  // NUL-terminated

// Cursor over a payload. Every read fails (std::nullopt) instead of reading
// past the end, so malformed input can never be over-read.
class PayloadReader {
 public:
  explicit PayloadReader(std::string_view data) : data_(data) {}

  std::optional<uint8_t> int1();
  std::optional<uint16_t> int2();
  std::optional<uint32_t> int3();
  std::optional<uint32_t> int4();
  std::optional<uint64_t> int8();
  std::optional<uint64_t> lenenc_int();
  std::optional<std::string_view> lenenc_str();
  std::optional<std::string_view> null_str();  // up to the NUL, which is consumed
  std::optional<std::string_view> bytes(size_t n);
  std::string_view rest();  // consumes everything left
  std::optional<uint8_t> peek() const;
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ >= data_.size(); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace gp::mysql
