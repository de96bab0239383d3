#include "mysql/packet.h"

#include <algorithm>
#include <string>

#include "mysql/protocol.h"

namespace gp::mysql {

namespace {

constexpr size_t kHeaderSize = 4;
// Consumed bytes are dropped from the front of the buffer only once they are
// both numerous and the larger part of it, so that compaction costs amortised
// O(1) per byte instead of a memmove per packet.
constexpr size_t kCompactThreshold = 64 * 1024;

uint32_t read_le3(const char* p) {
  return static_cast<uint32_t>(static_cast<uint8_t>(p[0])) |
         static_cast<uint32_t>(static_cast<uint8_t>(p[1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(p[2])) << 16;
}

template <class T>
T read_le(std::string_view bytes) {
  T v = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    v |= static_cast<T>(static_cast<uint8_t>(bytes[i])) << (8 * i);
  }
  return v;
}

template <class T>
void put_le(std::string& out, T v, size_t n) {
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

void append_packet(std::string& out, uint8_t& seq, std::string_view payload) {
  out.reserve(out.size() + payload.size() + kHeaderSize * (payload.size() / kMaxPacketPayload + 1));
  // A frame of exactly kMaxPacketPayload bytes tells the reader "more follows",
  // hence the (possibly empty) final frame shorter than the maximum.
  while (true) {
    size_t n = std::min<size_t>(payload.size(), kMaxPacketPayload);
    put_int3(out, static_cast<uint32_t>(n));
    put_int1(out, seq++);
    out.append(payload.substr(0, n));
    payload.remove_prefix(n);
    if (n < kMaxPacketPayload) break;
  }
}

Result<std::optional<std::string>> PacketReader::next(uint8_t& seq) {
  if (consumed_ >= kCompactThreshold && consumed_ * 2 >= buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  // First pass: find where the logical packet ends, without copying, so that
  // an incomplete packet costs only a header walk per call.
  size_t pos = consumed_;
  size_t total = 0;
  size_t frames = 0;
  uint8_t last_seq = 0;
  while (true) {
    if (buffer_.size() - pos < kHeaderSize) return std::optional<std::string>{};
    size_t len = read_le3(buffer_.data() + pos);
    last_seq = static_cast<uint8_t>(buffer_[pos + 3]);
    total += len;
    if (total > max_payload_) {
      return make_error(errc::kNetPacketTooLarge, "Got a packet bigger than the maximum of " +
                                                      std::to_string(max_payload_) + " bytes");
    }
    if (buffer_.size() - pos - kHeaderSize < len) return std::optional<std::string>{};
    pos += kHeaderSize + len;
    ++frames;
    if (len < kMaxPacketPayload) break;
  }

  std::string payload;
  if (frames == 1) {
    payload.assign(buffer_, consumed_ + kHeaderSize, total);
  } else {
    payload.reserve(total);
    size_t p = consumed_;
    while (p < pos) {
      size_t len = read_le3(buffer_.data() + p);
      payload.append(buffer_, p + kHeaderSize, len);
      p += kHeaderSize + len;
    }
  }
  consumed_ = pos;
  seq = last_seq;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  return std::optional<std::string>{std::move(payload)};
}

void put_int1(std::string& out, uint8_t v) {
  out.push_back(static_cast<char>(v));
}
void put_int2(std::string& out, uint16_t v) {
  put_le(out, v, 2);
}
void put_int3(std::string& out, uint32_t v) {
  put_le(out, v, 3);
}
void put_int4(std::string& out, uint32_t v) {
  put_le(out, v, 4);
}
void put_int8(std::string& out, uint64_t v) {
  put_le(out, v, 8);
}

void put_lenenc_int(std::string& out, uint64_t v) {
  if (v < 251) {
    put_int1(out, static_cast<uint8_t>(v));
  } else if (v < (1u << 16)) {
    put_int1(out, 0xfc);
    put_int2(out, static_cast<uint16_t>(v));
  } else if (v < (1u << 24)) {
    put_int1(out, 0xfd);
    put_int3(out, static_cast<uint32_t>(v));
  } else {
    put_int1(out, 0xfe);
    put_int8(out, v);
  }
}

void put_lenenc_str(std::string& out, std::string_view s) {
  put_lenenc_int(out, s.size());
  out.append(s);
}

void put_null_str(std::string& out, std::string_view s) {
  out.append(s);
  out.push_back('\0');
}

std::optional<std::string_view> PayloadReader::bytes(size_t n) {
  if (n > remaining()) return std::nullopt;
  std::string_view v = data_.substr(pos_, n);
  pos_ += n;
  return v;
}

std::optional<uint8_t> PayloadReader::int1() {
  auto b = bytes(1);
  if (!b) return std::nullopt;
  return static_cast<uint8_t>((*b)[0]);
}

std::optional<uint16_t> PayloadReader::int2() {
  auto b = bytes(2);
  if (!b) return std::nullopt;
  return read_le<uint16_t>(*b);
}

std::optional<uint32_t> PayloadReader::int3() {
  auto b = bytes(3);
  if (!b) return std::nullopt;
  return read_le<uint32_t>(*b);
}

std::optional<uint32_t> PayloadReader::int4() {
  auto b = bytes(4);
  if (!b) return std::nullopt;
  return read_le<uint32_t>(*b);
}

std::optional<uint64_t> PayloadReader::int8() {
  auto b = bytes(8);
  if (!b) return std::nullopt;
  return read_le<uint64_t>(*b);
}

// A failed read leaves the cursor where it was, so a caller may peek at a 0xfb
// (NULL) marker after a failed lenenc_int and still consume it.
std::optional<uint64_t> PayloadReader::lenenc_int() {
  size_t start = pos_;
  auto first = int1();
  if (!first) return std::nullopt;
  std::optional<uint64_t> v;
  switch (*first) {
    case 0xfb:
    case 0xff:
      break;
    case 0xfc:
      v = int2();
      break;
    case 0xfd:
      v = int3();
      break;
    case 0xfe:
      v = int8();
      break;
    default:
      v = *first;
  }
  if (!v) pos_ = start;
  return v;
}

std::optional<std::string_view> PayloadReader::lenenc_str() {
  size_t start = pos_;
  auto len = lenenc_int();
  if (!len) return std::nullopt;
  auto s = bytes(*len);
  if (!s) pos_ = start;
  return s;
}

std::optional<std::string_view> PayloadReader::null_str() {
  size_t nul = data_.find('\0', pos_);
  if (nul == std::string_view::npos) return std::nullopt;
  std::string_view s = data_.substr(pos_, nul - pos_);
  pos_ = nul + 1;
  return s;
}

std::string_view PayloadReader::rest() {
  std::string_view s = data_.substr(std::min(pos_, data_.size()));
  pos_ = data_.size();
  return s;
}

std::optional<uint8_t> PayloadReader::peek() const {
  if (empty()) return std::nullopt;
  return static_cast<uint8_t>(data_[pos_]);
}

}  // namespace gp::mysql
