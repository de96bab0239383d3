#include "core/listen_address.h"

#include <gtest/gtest.h>

namespace gp {
namespace {

TEST(ParseListenAddresses, SingleAddress) {
  auto r = parse_listen_addresses("0.0.0.0:6033");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].host, "0.0.0.0");
  EXPECT_EQ((*r)[0].port, 6033);
}

TEST(ParseListenAddresses, ListWithSemicolonsCommasAndSpaces) {
  auto r = parse_listen_addresses(" 127.0.0.1:6033; 127.0.0.2:6034 ,[::1]:7000;");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[1].host, "127.0.0.2");
  EXPECT_EQ((*r)[1].port, 6034);
  EXPECT_EQ((*r)[2].host, "::1");
  EXPECT_EQ((*r)[2].port, 7000);
}

TEST(ParseListenAddresses, RejectsBadInput) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", ":6033", "127.0.0.1:0", "127.0.0.1:65536",
                          "127.0.0.1:66x", ";;"}) {
    auto r = parse_listen_addresses(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_FALSE(r.error().message.empty());
    }
  }
}

}  // namespace
}  // namespace gp
