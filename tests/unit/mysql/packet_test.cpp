#include "mysql/packet.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "mysql/protocol.h"

namespace gp::mysql {
namespace {

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + 7) & 0xff);
  return s;
}

std::string frame_header(uint32_t len, uint8_t seq) {
  std::string h;
  put_int3(h, len);
  put_int1(h, seq);
  return h;
}

// Reads every complete packet currently buffered.
std::vector<std::pair<std::string, uint8_t>> drain(PacketReader& reader) {
  std::vector<std::pair<std::string, uint8_t>> out;
  while (true) {
    uint8_t seq = 0;
    auto next = reader.next(seq);
    EXPECT_TRUE(next.has_value());
    if (!next || !*next) break;
    out.emplace_back(std::move(**next), seq);
  }
  return out;
}

TEST(AppendPacket, SmallPayloadHasOneFrame) {
  std::string out;
  uint8_t seq = 3;
  append_packet(out, seq, "abc");
  EXPECT_EQ(out, std::string("\x03\x00\x00\x03"
                             "abc",
                             7));
  EXPECT_EQ(seq, 4);
}

TEST(AppendPacket, EmptyPayloadIsAnEmptyFrame) {
  std::string out;
  uint8_t seq = 0;
  append_packet(out, seq, "");
  EXPECT_EQ(out, std::string("\x00\x00\x00\x00", 4));
  EXPECT_EQ(seq, 1);
}

TEST(AppendPacket, ExactMaxPayloadGetsEmptyTrailingFrame) {
  std::string payload = pattern(kMaxPacketPayload);
  std::string out;
  uint8_t seq = 0;
  append_packet(out, seq, payload);
  ASSERT_EQ(out.size(), payload.size() + 8);
  EXPECT_EQ(out.substr(0, 4), frame_header(kMaxPacketPayload, 0));
  EXPECT_EQ(out.substr(4 + kMaxPacketPayload), frame_header(0, 1));
  EXPECT_EQ(seq, 2);

  PacketReader reader;
  reader.feed(out);
  auto packets = drain(reader);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_TRUE(packets[0].first == payload);
  EXPECT_EQ(packets[0].second, 1);
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(AppendPacket, TwoFullFramesAndARemainder) {
  std::string payload = pattern(kMaxPacketPayload * 2 + 5);
  std::string out;
  uint8_t seq = 254;
  append_packet(out, seq, payload);
  ASSERT_EQ(out.size(), payload.size() + 12);
  EXPECT_EQ(out.substr(0, 4), frame_header(kMaxPacketPayload, 254));
  EXPECT_EQ(out.substr(4 + kMaxPacketPayload, 4), frame_header(kMaxPacketPayload, 255));
  EXPECT_EQ(out.substr(8 + 2 * kMaxPacketPayload, 4), frame_header(5, 0));
  EXPECT_EQ(seq, 1);  // sequence ids wrap around

  PacketReader reader;
  reader.feed(out);
  auto packets = drain(reader);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_TRUE(packets[0].first == payload);
  EXPECT_EQ(packets[0].second, 0);
}

TEST(PacketReader, ByteByByteFeeding) {
  std::string stream;
  uint8_t seq = 0;
  std::vector<std::string> payloads = {"", "a", pattern(300), pattern(70000), "last"};
  for (const auto& p : payloads) append_packet(stream, seq, p);

  PacketReader reader;
  std::vector<std::pair<std::string, uint8_t>> got;
  for (char c : stream) {
    reader.feed(std::string_view(&c, 1));
    for (auto& p : drain(reader)) got.push_back(std::move(p));
  }
  ASSERT_EQ(got.size(), payloads.size());
  for (size_t i = 0; i < payloads.size(); ++i) {
    EXPECT_EQ(got[i].first, payloads[i]);
    EXPECT_EQ(got[i].second, i);
  }
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(PacketReader, SplitLargePacketFedInChunks) {
  std::string payload = pattern(kMaxPacketPayload + 10);
  std::string stream;
  uint8_t seq = 7;
  append_packet(stream, seq, payload);
  append_packet(stream, seq, "tail");

  PacketReader reader;
  std::vector<std::pair<std::string, uint8_t>> got;
  const size_t chunk = 1 << 20;
  for (size_t off = 0; off < stream.size(); off += chunk) {
    reader.feed(std::string_view(stream).substr(off, chunk));
    for (auto& p : drain(reader)) got.push_back(std::move(p));
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].first == payload);
  EXPECT_EQ(got[0].second, 8);
  EXPECT_EQ(got[1].first, "tail");
  EXPECT_EQ(got[1].second, 9);
}

TEST(PacketReader, IncompleteHeaderAndBodyWait) {
  PacketReader reader;
  uint8_t seq = 0;
  reader.feed(std::string("\x05\x00", 2));
  auto r = reader.next(seq);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->has_value());
  reader.feed(
      std::string("\x00\x09"
                  "abc",
                  5));
  r = reader.next(seq);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(reader.buffered(), 7u);
  reader.feed("de");
  r = reader.next(seq);
  ASSERT_TRUE(r.has_value() && r->has_value());
  EXPECT_EQ(**r, "abcde");
  EXPECT_EQ(seq, 9);
}

TEST(PacketReader, TooLargeIsAnErrorBeforeTheBodyArrives) {
  PacketReader reader(100);
  reader.feed(frame_header(101, 0));
  uint8_t seq = 0;
  auto r = reader.next(seq);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::kNetPacketTooLarge);
  EXPECT_EQ(r.error().sqlstate, "08S01");
}

TEST(PacketReader, TooLargeAcrossFrames) {
  PacketReader reader(kMaxPacketPayload + 3);
  std::string stream;
  uint8_t seq = 0;
  append_packet(stream, seq, pattern(kMaxPacketPayload + 4));
  reader.feed(stream);
  uint8_t got_seq = 0;
  auto r = reader.next(got_seq);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::kNetPacketTooLarge);
}

TEST(PacketReader, ExactlyMaxPayloadIsAccepted) {
  PacketReader reader(100);
  std::string stream;
  uint8_t seq = 0;
  append_packet(stream, seq, pattern(100));
  reader.feed(stream);
  auto packets = drain(reader);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0].first.size(), 100u);
}

TEST(PacketReader, ChunkedStreamSurvivesCompaction) {
  // Odd-sized chunks leave partial packets behind while the reader drops
  // consumed bytes many times over; every payload must come out intact.
  std::vector<std::string> payloads;
  std::string stream;
  uint8_t seq = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string p = std::to_string(i) + ":" + pattern(static_cast<size_t>(i % 997));
    append_packet(stream, seq, p);
    payloads.push_back(std::move(p));
  }
  PacketReader reader;
  std::vector<std::pair<std::string, uint8_t>> got;
  for (size_t off = 0; off < stream.size(); off += 777) {
    reader.feed(std::string_view(stream).substr(off, 777));
    for (auto& p : drain(reader)) got.push_back(std::move(p));
  }
  ASSERT_EQ(got.size(), payloads.size());
  for (size_t i = 0; i < payloads.size(); ++i) {
    ASSERT_EQ(got[i].first, payloads[i]) << i;
    ASSERT_EQ(got[i].second, static_cast<uint8_t>(i));
  }
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(PutInt, LittleEndianWidths) {
  std::string out;
  put_int1(out, 0xab);
  put_int2(out, 0x1234);
  put_int3(out, 0x563412);
  put_int4(out, 0x12345678);
  put_int8(out, 0x0102030405060708ull);
  EXPECT_EQ(out, std::string("\xab\x34\x12\x12\x34\x56\x78\x56\x34\x12"
                             "\x08\x07\x06\x05\x04\x03\x02\x01",
                             18));
  PayloadReader r(out);
  EXPECT_EQ(r.int1(), 0xab);
  EXPECT_EQ(r.int2(), 0x1234);
  EXPECT_EQ(r.int3(), 0x563412u);
  EXPECT_EQ(r.int4(), 0x12345678u);
  EXPECT_EQ(r.int8(), 0x0102030405060708ull);
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.int1().has_value());
}

struct LenencCase {
  uint64_t value;
  std::string encoded;
};

TEST(Lenenc, Boundaries) {
  const std::vector<LenencCase> cases = {
      {0, std::string("\x00", 1)},
      {250, "\xfa"},
      {251, std::string("\xfc\xfb\x00", 3)},
      {65535, "\xfc\xff\xff"},
      {65536, std::string("\xfd\x00\x00\x01", 4)},
      {(1u << 24) - 1, "\xfd\xff\xff\xff"},
      {1u << 24, std::string("\xfe\x00\x00\x00\x01\x00\x00\x00\x00", 9)},
      {std::numeric_limits<uint64_t>::max(), "\xfe\xff\xff\xff\xff\xff\xff\xff\xff"},
  };
  for (const auto& c : cases) {
    std::string out;
    put_lenenc_int(out, c.value);
    EXPECT_EQ(out, c.encoded) << c.value;
    PayloadReader r(out);
    EXPECT_EQ(r.lenenc_int(), c.value);
    EXPECT_TRUE(r.empty());
    // Every strict prefix of a multi-byte encoding is a failed read that
    // consumes nothing.
    for (size_t n = 0; n < out.size(); ++n) {
      PayloadReader t(std::string_view(out).substr(0, n));
      EXPECT_FALSE(t.lenenc_int().has_value());
      EXPECT_EQ(t.remaining(), n);
    }
  }
}

TEST(Lenenc, NullAndErrorMarkersAreNotIntegers) {
  PayloadReader null_marker(std::string_view("\xfb", 1));
  EXPECT_FALSE(null_marker.lenenc_int().has_value());
  EXPECT_EQ(null_marker.peek(), 0xfb);  // not consumed
  PayloadReader err_marker(std::string_view("\xff", 1));
  EXPECT_FALSE(err_marker.lenenc_int().has_value());
}

TEST(Lenenc, Strings) {
  std::string big(70000, 'x');
  std::string out;
  put_lenenc_str(out, "");
  put_lenenc_str(out, "hello");
  put_lenenc_str(out, big);
  EXPECT_EQ(out.substr(0, 7), std::string("\x00\x05hello", 7));
  PayloadReader r(out);
  EXPECT_EQ(r.lenenc_str(), "");
  EXPECT_EQ(r.lenenc_str(), "hello");
  EXPECT_EQ(r.lenenc_str(), big);
  EXPECT_TRUE(r.empty());
}

TEST(Lenenc, StringLongerThanPayloadFails) {
  std::string out;
  put_lenenc_int(out, std::numeric_limits<uint64_t>::max());
  out += "abc";
  PayloadReader r(out);
  EXPECT_FALSE(r.lenenc_str().has_value());
  EXPECT_EQ(r.remaining(), out.size());
}

TEST(PayloadReader, NullTerminatedStrings) {
  std::string out;
  put_null_str(out, "abc");
  put_null_str(out, "");
  out += "no terminator";
  PayloadReader r(out);
  EXPECT_EQ(r.null_str(), "abc");
  EXPECT_EQ(r.null_str(), "");
  EXPECT_FALSE(r.null_str().has_value());
  EXPECT_EQ(r.rest(), "no terminator");
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.rest(), "");
  EXPECT_FALSE(r.peek().has_value());
}

TEST(PayloadReader, BytesNeverOverRead) {
  PayloadReader r("abcd");
  EXPECT_FALSE(r.bytes(5).has_value());
  EXPECT_EQ(r.bytes(2), "ab");
  EXPECT_FALSE(r.int4().has_value());
  EXPECT_FALSE(r.int3().has_value());
  EXPECT_EQ(r.int2(), 0x6463);
  EXPECT_FALSE(r.int8().has_value());
  EXPECT_EQ(r.bytes(0), "");
}

}  // namespace
}  // namespace gp::mysql
