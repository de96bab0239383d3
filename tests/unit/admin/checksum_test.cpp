#include "admin/checksum.h"

#include <gtest/gtest.h>

namespace gp::admin {
namespace {

TEST(ChecksumTest, DeterministicAndSensitive) {
  std::vector<TextRow> rows = {{"a", "1"}, {"b", "2"}};
  std::string c = checksum_rows(rows);
  EXPECT_EQ(c, checksum_rows(rows));
  EXPECT_EQ(c.size(), 18u);
  EXPECT_EQ(c.substr(0, 2), "0x");
  EXPECT_NE(c, checksum_rows({{"a", "1"}, {"b", "3"}}));
  EXPECT_NE(c, checksum_rows({{"b", "2"}, {"a", "1"}}));
  EXPECT_NE(c, checksum_rows({{"a", "1"}}));
  // Field boundaries matter: ("ab","") differs from ("a","b").
  EXPECT_NE(checksum_rows({{"ab", ""}}), checksum_rows({{"a", "b"}}));
  // NULL differs from the empty string.
  EXPECT_NE(checksum_rows({{"a", std::nullopt}}), checksum_rows({{"a", ""}}));
  EXPECT_NE(checksum_rows({}), checksum_rows({{}}));
}

}  // namespace
}  // namespace gp::admin
