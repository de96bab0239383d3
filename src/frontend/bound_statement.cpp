#include "frontend/bound_statement.h"

#include <charconv>

#include "sql/sql.h"

namespace gp::frontend {
namespace {

std::string literal(const mysql::ParamValue& p) {
  using Kind = mysql::ParamValue::Kind;
  switch (p.kind) {
    case Kind::kNull:
      return "NULL";
    case Kind::kSigned:
      return std::to_string(p.i);
    case Kind::kUnsigned:
      return std::to_string(p.u);
    case Kind::kDouble: {
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, p.d);
      return ec == std::errc{} ? std::string(buf, end) : "NULL";
    }
    case Kind::kString:
    case Kind::kBytes:
    case Kind::kTemporal:
      return sql::quote_string(p.text);
  }
  return "NULL";
}

}  // namespace

size_t count_parameters(std::string_view sql) {
  size_t n = 0;
  for (const auto& t : sql::tokenize(sql)) n += t.kind == sql::TokenKind::kParameter;
  return n;
}

std::string bind_parameters(std::string_view sql, std::span<const mysql::ParamValue> params) {
  std::string out;
  out.reserve(sql.size() + params.size() * 8);
  size_t next = 0;
  for (const auto& t : sql::tokenize(sql)) {
    if (t.kind == sql::TokenKind::kParameter && next < params.size()) {
      out += literal(params[next++]);
    } else {
      out.append(t.text);
    }
  }
  return out;
}

}  // namespace gp::frontend
