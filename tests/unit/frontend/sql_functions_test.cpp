#include "frontend/sql_functions.h"

#include <gtest/gtest.h>

namespace gp::frontend {
namespace {

TEST(PlanPrepared, CallsBecomeOneBackendParameterEach) {
  auto fs =
      plan_prepared("INSERT INTO t (a, b, c) VALUES (?, GENAI_EMBED(?), GENAI_RERANK(?, ?))", {});
  ASSERT_TRUE(fs.has_value()) << fs.error().message;
  EXPECT_EQ(fs->backend.text, "INSERT INTO t (a, b, c) VALUES (?, ?, ?)");
  EXPECT_EQ(fs->plan.parameters, 4u);
  ASSERT_EQ(fs->backend_params.size(), 3u);
  EXPECT_FALSE(fs->backend_params[0].call);
  EXPECT_EQ(fs->backend_params[0].index, 0u);
  EXPECT_TRUE(fs->backend_params[1].call);
  EXPECT_EQ(fs->backend_params[1].index, 0u);
  EXPECT_TRUE(fs->backend_params[2].call);
  EXPECT_EQ(fs->backend_params[2].index, 1u);
}

TEST(PlanPrepared, RowItemsForwardTheirArgumentAndTheProxyOrders) {
  auto fs = plan_prepared(
      "SELECT id, GENAI_RERANK(?, body) AS score FROM t WHERE lang = ? ORDER BY score DESC LIMIT 3",
      {});
  ASSERT_TRUE(fs.has_value()) << fs.error().message;
  EXPECT_EQ(fs->backend.text, "SELECT id, body AS `score` FROM t WHERE lang = ? ");
  ASSERT_EQ(fs->backend_params.size(), 1u);
  EXPECT_FALSE(fs->backend_params[0].call);
  EXPECT_EQ(fs->backend_params[0].index, 1u);
}

TEST(PlanPrepared, ConstantCallsAreComputedAtExecuteToo) {
  auto fs = plan_prepared("SELECT id FROM t WHERE emb = GENAI_EMBED('x') AND id > ?", {});
  ASSERT_TRUE(fs.has_value());
  EXPECT_EQ(fs->backend.text, "SELECT id FROM t WHERE emb = ? AND id > ?");
  ASSERT_EQ(fs->backend_params.size(), 2u);
  EXPECT_TRUE(fs->backend_params[0].call);
  EXPECT_FALSE(fs->backend_params[1].call);
}

TEST(PlanPrepared, WithoutCallsThereIsNoPlan) {
  auto fs = plan_prepared("SELECT 'genai_embed(x)'", {});
  ASSERT_TRUE(fs.has_value());
  EXPECT_TRUE(fs->plan.calls.empty());
}

TEST(PlanPrepared, MisplacedCallsAreRefused) {
  auto fs = plan_prepared("UPDATE t SET e = GENAI_EMBED(body) WHERE id = ?", {});
  ASSERT_FALSE(fs.has_value());
  EXPECT_EQ(fs.error().code, errc::kGenaiInvalidRequest);
}

}  // namespace
}  // namespace gp::frontend
