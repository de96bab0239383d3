#include "frontend/bound_statement.h"

#include <gtest/gtest.h>

namespace gp::frontend {
namespace {

mysql::ParamValue value(mysql::ParamValue::Kind kind, std::string text = {}, int64_t i = 0,
                        double d = 0) {
  mysql::ParamValue p;
  p.kind = kind;
  p.text = std::move(text);
  p.i = i;
  p.d = d;
  return p;
}

TEST(BoundStatement, CountsOnlyRealParameters) {
  EXPECT_EQ(count_parameters("SELECT ?, '?', `?`, \"?\" -- ?\n, ? /* ? */"), 2u);
  EXPECT_EQ(count_parameters("SET genai-threads = 4"), 0u);
}

TEST(BoundStatement, BindsLiterals) {
  using K = mysql::ParamValue::Kind;
  std::vector<mysql::ParamValue> params{value(K::kString, "it's \\ x"), value(K::kSigned, {}, -3),
                                        value(K::kNull), value(K::kDouble, {}, 0, 0.5)};
  std::string bound = bind_parameters(
      "SELECT * FROM global_variables WHERE variable_name = ? AND '?' <> ? OR ? = ?", params);
  EXPECT_EQ(bound.find("variable_name = 'it"), bound.find("variable_name = "));
  EXPECT_NE(bound.find("'?' <> -3 OR NULL = 0.5"), std::string::npos) << bound;
  // The string literal decodes back to the bound text.
  EXPECT_EQ(bound.find("?"), bound.find("'?'") + 1);
}

}  // namespace
}  // namespace gp::frontend
