#include <gtest/gtest.h>

#include "sql/sql.h"

namespace gp::sql {
namespace {

TEST(DigestText, LiteralsBecomePlaceholders) {
  EXPECT_EQ(digest_text("SELECT  id FROM t WHERE a = 'x' AND b IN (1, 2.5, 0x1F) -- c\n"),
            "SELECT id FROM t WHERE a = ? AND b IN (?, ?, ?)");
  EXPECT_EQ(digest_text("select /* hint */ GENAI_EMBED(_utf8mb4'a' 'b')"),
            "select GENAI_EMBED(? ?)");
}

TEST(DigestText, JsonKeysStay) {
  EXPECT_EQ(digest_text(R"(GENAI: {"type" : "embed", "documents": ["a", "b"], "top_n": 3})"),
            R"(GENAI: {"type" : ?, "documents": [?, ?], "top_n": ?})");
}

TEST(DigestHash, IsStableAndShapedLikeProxysql) {
  EXPECT_EQ(digest_hash("SELECT ?"), digest_hash("SELECT ?"));
  EXPECT_NE(digest_hash("SELECT ?"), digest_hash("SELECT ? ?"));
  EXPECT_EQ(digest_hash("").size(), 18u);
  EXPECT_EQ(digest_hash("").substr(0, 2), "0x");
}

}  // namespace
}  // namespace gp::sql
