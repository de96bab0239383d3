// The SQL tokenizer under every option combination (the first byte picks
// them): tokens cover the input exactly and in order, significant tokens are
// in order and inside the input (and for_each_significant_token visits the
// same ones), literal decoders never crash, and a quoted copy of the input
// reads back as one string with the input as its value.
// The connect-time statement evaluator runs on the same input: it answers,
// declines or fails with a well-formed error, never crashes.
// fuzz-sources: src/sql/*.cpp src/mysql/*.cpp
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sql/sql.h"

namespace {

void check(std::string_view sql, gp::sql::LexOptions options) {
  using gp::sql::TokenKind;
  size_t at = 0;
  for (const auto& t : gp::sql::tokenize(sql, options)) {
    if (t.offset != at || t.text.empty() || t.text.data() != sql.data() + at) __builtin_trap();
    at += t.text.size();
    if (t.kind == TokenKind::kString) (void)gp::sql::string_value(t, options);
    if (t.kind == TokenKind::kQuotedIdentifier || t.kind == TokenKind::kWord) {
      (void)gp::sql::identifier_value(t);
    }
  }
  if (at != sql.size()) __builtin_trap();

  size_t last_end = 0;
  auto significant = gp::sql::significant_tokens(sql, options);
  size_t visited = 0;
  gp::sql::for_each_significant_token(sql, options, [&](const gp::sql::Token& t) {
    if (visited >= significant.size() || significant[visited].offset != t.offset ||
        significant[visited].text.size() != t.text.size() || significant[visited].kind != t.kind) {
      __builtin_trap();
    }
    ++visited;
  });
  if (visited != significant.size()) __builtin_trap();
  for (const auto& t : significant) {
    if (t.offset < last_end || t.text.empty() || t.offset + t.text.size() > sql.size()) {
      __builtin_trap();
    }
    if (t.kind == TokenKind::kWhitespace || t.kind == TokenKind::kComment) __builtin_trap();
    last_end = t.offset + t.text.size();
    if (t.kind == TokenKind::kString) (void)gp::sql::string_value(t, options);
  }
  for (auto piece : gp::sql::split_statements(sql, options)) {
    if (piece.empty() || piece.data() < sql.data() ||
        piece.data() + piece.size() > sql.data() + sql.size()) {
      __builtin_trap();
    }
  }

  std::string quoted = gp::sql::quote_string(sql, options);
  auto tokens = gp::sql::tokenize(quoted, options);
  if (tokens.size() != 1 || tokens[0].kind != TokenKind::kString) __builtin_trap();
  if (gp::sql::string_value(tokens[0], options) != sql) __builtin_trap();

  static const gp::sql::SessionVariables kDefaults = [] {
    gp::sql::SessionDefaults d;
    d.version = "10.11.6-MariaDB";
    return gp::sql::SessionVariables::defaults(d);
  }();
  gp::sql::SessionVariables vars = kDefaults;
  if (options.ansi_quotes) vars.values["sql_mode"] = "ANSI_QUOTES";
  gp::sql::SessionInfo info{"u", "h", "db", 1};
  auto r = gp::sql::answer_session_query(sql, vars, info);
  if (!r && (r.error().code == 0 || r.error().sqlstate.size() != 5 || r.error().message.empty())) {
    __builtin_trap();
  }
  if (vars.values.size() != kDefaults.values.size()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  gp::sql::LexOptions options{.no_backslash_escapes = (data[0] & 1) != 0,
                              .ansi_quotes = (data[0] & 2) != 0};
  check(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), options);
  return 0;
}
