#include "backend/response_tracker.h"

#include <gtest/gtest.h>

#include <random>

#include "mysql/messages.h"
#include "mysql/packet.h"
#include "mysql/protocol.h"
#include "mysql/resultset.h"

namespace gp::backend {
namespace {

namespace cap = mysql::cap;
namespace st = mysql::status;

constexpr uint32_t kCaps = cap::kProtocol41 | cap::kTransactions;
constexpr uint32_t kCapsDeprecateEof = kCaps | cap::kDeprecateEof;

mysql::ResultSet sample(size_t rows) {
  mysql::ResultSet rs;
  rs.columns = {mysql::Column::bigint("id"), mysql::Column::text("name")};
  for (size_t i = 0; i < rows; ++i)
    rs.rows.push_back({std::to_string(i), "row " + std::to_string(i)});
  rs.rows.push_back({"", std::nullopt});  // an empty first field starts with 0x00
  return rs;
}

// Feeds `bytes` in chunks of `chunk` bytes; returns the bytes consumed.
size_t feed_in_chunks(ResponseTracker& t, std::string_view bytes, size_t chunk) {
  size_t total = 0;
  while (total < bytes.size() && !t.done()) {
    size_t n = std::min(chunk, bytes.size() - total);
    total += t.feed(bytes.substr(total, n));
  }
  return total;
}

TEST(ResponseTracker, OkEndsAtOnce) {
  std::string wire;
  uint8_t seq = 1;
  mysql::OkPacket ok{3, 42, st::kAutocommit | st::kInTrans, 1, "", ""};
  mysql::append_packet(wire, seq, mysql::encode_ok(ok, kCaps));
  ResponseTracker t(ResponseShape::kResultSet, kCaps);
  EXPECT_EQ(t.feed(wire + "extra"), wire.size());
  EXPECT_TRUE(t.done());
  EXPECT_FALSE(t.error());
  EXPECT_EQ(t.status_flags(), st::kAutocommit | st::kInTrans);
  EXPECT_EQ(t.last_insert_id(), 42u);
  EXPECT_EQ(t.warnings(), 1u);
  EXPECT_EQ(t.last_sequence_id(), 1);
}

TEST(ResponseTracker, ErrKeepsCodeStateAndMessage) {
  std::string wire;
  uint8_t seq = 1;
  mysql::append_packet(wire, seq,
                       mysql::encode_err(Error{1146, "42S02", "Table 'x.y' doesn't exist"}, kCaps));
  ResponseTracker t(ResponseShape::kResultSet, kCaps);
  EXPECT_EQ(feed_in_chunks(t, wire, 1), wire.size());
  ASSERT_TRUE(t.done());
  ASSERT_TRUE(t.error());
  EXPECT_EQ(t.error()->code, 1146);
  EXPECT_EQ(t.error()->sqlstate, "42S02");
  EXPECT_EQ(t.error()->message, "Table 'x.y' doesn't exist");
}

class ResultSetShapes : public ::testing::TestWithParam<std::tuple<uint32_t, size_t>> {};

TEST_P(ResultSetShapes, EndsExactlyAfterTheLastPacket) {
  auto [caps, chunk] = GetParam();
  std::string wire;
  uint8_t seq = 1;
  mysql::append_resultset(wire, seq, sample(50), caps, st::kAutocommit);
  ResponseTracker t(ResponseShape::kResultSet, caps);
  std::string stream = wire + std::string("\x05\x00\x00\x00", 4);
  EXPECT_EQ(feed_in_chunks(t, stream, chunk), wire.size());
  EXPECT_TRUE(t.done());
  EXPECT_FALSE(t.error());
  EXPECT_FALSE(t.protocol_error());
  EXPECT_EQ(t.status_flags(), st::kAutocommit);
  EXPECT_EQ(t.rows(), 51u);  // sample(50) and its empty row
  EXPECT_EQ(t.affected_rows(), 0u);
}

TEST_P(ResultSetShapes, MultipleResultsChainUntilTheLastOne) {
  auto [caps, chunk] = GetParam();
  std::string wire;
  uint8_t seq = 1;
  mysql::append_resultset(wire, seq, sample(3), caps, st::kAutocommit | st::kMoreResultsExist);
  mysql::append_resultset(wire, seq, sample(4), caps, st::kAutocommit | st::kMoreResultsExist);
  mysql::append_packet(wire, seq,
                       mysql::encode_ok(mysql::OkPacket{1, 0, st::kAutocommit, 0, "", ""}, caps));
  ResponseTracker t(ResponseShape::kResultSet, caps);
  std::string partial = wire.substr(0, wire.size() - 1);
  feed_in_chunks(t, partial, chunk);
  EXPECT_FALSE(t.done());
  t.feed(wire.substr(wire.size() - 1));
  EXPECT_TRUE(t.done());
  EXPECT_EQ(t.status_flags(), st::kAutocommit);
  // Rows of every result, and what the final OK says was affected.
  EXPECT_EQ(t.rows(), 4u + 5u);
  EXPECT_EQ(t.affected_rows(), 1u);
}

INSTANTIATE_TEST_SUITE_P(EofAndDeprecateEof, ResultSetShapes,
                         ::testing::Combine(::testing::Values(kCaps, kCapsDeprecateEof),
                                            ::testing::Values(1, 7, 4096)));

TEST(ResponseTracker, ErrorBetweenRowsEndsTheResult) {
  std::string wire;
  uint8_t seq = 1;
  mysql::ResultSet rs = sample(2);
  mysql::append_packet(wire, seq, std::string(1, '\x02'));
  for (const auto& c : rs.columns)
    mysql::append_packet(wire, seq, mysql::encode_column_definition(c));
  mysql::append_packet(wire, seq, mysql::encode_eof({0, st::kAutocommit}, kCaps));
  mysql::append_packet(wire, seq, mysql::encode_text_row(rs.rows[0]));
  ResponseTracker t(ResponseShape::kResultSet, kCaps);
  t.feed(wire);
  EXPECT_FALSE(t.done());
  EXPECT_TRUE(t.between_rows());
  std::string err;
  mysql::append_packet(
      err, seq, mysql::encode_err({1317, "70100", "Query execution was interrupted"}, kCaps));
  t.feed(err);
  ASSERT_TRUE(t.done());
  ASSERT_TRUE(t.error());
  EXPECT_EQ(t.error()->code, 1317);
}

TEST(ResponseTracker, RowsLongerThanOneFrameAreNotTerminators) {
  // A 17 MiB field: its length is a 0xfe lenenc, so the row starts with 0xfe
  // and spans two frames.
  mysql::ResultSet rs;
  rs.columns = {mysql::Column::blob("b")};
  rs.rows.push_back({std::string(17u << 20, 'x')});
  for (uint32_t caps : {kCaps, kCapsDeprecateEof}) {
    std::string wire;
    uint8_t seq = 1;
    mysql::append_resultset(wire, seq, rs, caps, st::kAutocommit);
    ResponseTracker t(ResponseShape::kResultSet, caps);
    EXPECT_EQ(feed_in_chunks(t, wire, 65536), wire.size());
    EXPECT_TRUE(t.done());
    EXPECT_FALSE(t.protocol_error());
  }
}

TEST(ResponseTracker, PrepareResponseCountsDefinitionBlocks) {
  for (uint32_t caps : {kCaps, kCapsDeprecateEof}) {
    std::string ok;
    mysql::put_int1(ok, 0);
    mysql::put_int4(ok, 7);  // statement id
    mysql::put_int2(ok, 1);  // columns
    mysql::put_int2(ok, 2);  // params
    mysql::put_int1(ok, 0);
    mysql::put_int2(ok, 0);  // warnings
    std::string wire;
    uint8_t seq = 1;
    mysql::append_packet(wire, seq, ok);
    auto def = mysql::encode_column_definition(mysql::Column::text("?"));
    bool eof = !(caps & cap::kDeprecateEof);
    mysql::append_packet(wire, seq, def);
    mysql::append_packet(wire, seq, def);
    if (eof) mysql::append_packet(wire, seq, mysql::encode_eof({0, st::kAutocommit}, caps));
    mysql::append_packet(wire, seq, def);
    size_t before_last = wire.size();
    if (eof) mysql::append_packet(wire, seq, mysql::encode_eof({0, st::kAutocommit}, caps));
    ResponseTracker t(ResponseShape::kPrepare, caps);
    t.feed(std::string_view(wire).substr(0, before_last - 1));
    EXPECT_FALSE(t.done());
    EXPECT_EQ(t.feed(std::string_view(wire).substr(before_last - 1)),
              wire.size() - before_last + 1);
    EXPECT_TRUE(t.done());
    EXPECT_FALSE(t.protocol_error());
  }
}

TEST(ResponseTracker, PrepareWithoutParamsOrColumnsIsOnePacket) {
  std::string ok;
  mysql::put_int1(ok, 0);
  mysql::put_int4(ok, 1);
  mysql::put_int2(ok, 0);
  mysql::put_int2(ok, 0);
  mysql::put_int1(ok, 0);
  mysql::put_int2(ok, 0);
  std::string wire;
  uint8_t seq = 1;
  mysql::append_packet(wire, seq, ok);
  ResponseTracker t(ResponseShape::kPrepare, kCaps);
  EXPECT_EQ(t.feed(wire), wire.size());
  EXPECT_TRUE(t.done());
}

TEST(ResponseTracker, LocalInfileRequestStopsTheResponse) {
  std::string wire;
  uint8_t seq = 1;
  mysql::append_packet(wire, seq, "\xfb/etc/passwd");
  ResponseTracker t(ResponseShape::kResultSet, kCaps);
  EXPECT_EQ(t.feed(wire), wire.size());
  EXPECT_TRUE(t.done());
  EXPECT_TRUE(t.local_infile_requested());
  EXPECT_EQ(t.last_packet_bytes(), wire.size());
}

TEST(ResponseTracker, FieldListEndsWithEof) {
  std::string wire;
  uint8_t seq = 1;
  mysql::append_packet(wire, seq, mysql::encode_column_definition(mysql::Column::text("a")));
  mysql::append_packet(wire, seq, mysql::encode_eof({0, st::kAutocommit}, kCaps));
  ResponseTracker t(ResponseShape::kFieldList, kCaps);
  EXPECT_EQ(feed_in_chunks(t, wire, 3), wire.size());
  EXPECT_TRUE(t.done());
}

TEST(ResponseTracker, SinglePacketShapes) {
  std::string wire;
  uint8_t seq = 1;
  mysql::append_packet(wire, seq, "Uptime: 5  Threads: 1");
  ResponseTracker t(ResponseShape::kSingle, kCaps);
  EXPECT_EQ(t.feed(wire), wire.size());
  EXPECT_TRUE(t.done());

  ResponseTracker none(ResponseShape::kNone, kCaps);
  EXPECT_TRUE(none.done());
  EXPECT_EQ(none.feed(wire), 0u);
}

TEST(ResponseTracker, MalformedColumnCountIsAProtocolError) {
  std::string wire;
  uint8_t seq = 1;
  mysql::append_packet(wire, seq, std::string("\x02\x01", 2));  // trailing byte after the count
  ResponseTracker t(ResponseShape::kResultSet, kCaps);
  t.feed(wire);
  EXPECT_TRUE(t.done());
  EXPECT_TRUE(t.protocol_error());
}

TEST(ResponseTracker, RandomChunkingAgreesWithWholeFeeding) {
  std::string wire;
  uint8_t seq = 1;
  mysql::append_resultset(wire, seq, sample(500), kCapsDeprecateEof,
                          st::kAutocommit | st::kMoreResultsExist);
  mysql::append_packet(
      wire, seq,
      mysql::encode_ok(mysql::OkPacket{0, 0, st::kAutocommit, 0, "", ""}, kCapsDeprecateEof));
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    ResponseTracker t(ResponseShape::kResultSet, kCapsDeprecateEof);
    size_t pos = 0;
    while (pos < wire.size()) {
      size_t n = std::uniform_int_distribution<size_t>(1, 300)(rng);
      n = std::min(n, wire.size() - pos);
      pos += t.feed(std::string_view(wire).substr(pos, n));
      if (pos < wire.size()) {
        ASSERT_FALSE(t.done());
      }
    }
    EXPECT_TRUE(t.done());
  }
}

TEST(ResponseShape, CommandsTheProxyNeverForwards) {
  EXPECT_FALSE(response_shape(static_cast<uint8_t>(mysql::Command::kChangeUser)));
  EXPECT_FALSE(response_shape(static_cast<uint8_t>(mysql::Command::kBinlogDump)));
  EXPECT_EQ(response_shape(static_cast<uint8_t>(mysql::Command::kQuery)),
            ResponseShape::kResultSet);
  EXPECT_EQ(response_shape(static_cast<uint8_t>(mysql::Command::kStmtClose)), ResponseShape::kNone);
}

}  // namespace
}  // namespace gp::backend
