#include <cstdint>

#include "sql/sql.h"

namespace gp::sql {

std::string digest_text(std::string_view sql, LexOptions options) {
  std::string out;
  auto tokens = tokenize(sql, options);
  bool space = false;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.kind == TokenKind::kWhitespace || t.kind == TokenKind::kComment) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    bool literal = t.kind == TokenKind::kString || t.kind == TokenKind::kNumber ||
                   t.kind == TokenKind::kHexLiteral || t.kind == TokenKind::kBitLiteral;
    if (literal && t.kind == TokenKind::kString) {
      size_t next = i + 1;
      while (next < tokens.size() && (tokens[next].kind == TokenKind::kWhitespace ||
                                      tokens[next].kind == TokenKind::kComment)) {
        ++next;
      }
      if (next < tokens.size() && tokens[next].kind == TokenKind::kPunct &&
          tokens[next].text == ":") {
        literal = false;  // a JSON key
      }
    }
    if (literal) {
      out.push_back('?');
    } else {
      out.append(t.text);
    }
  }
  return out;
}

std::string digest_hash(std::string_view text) {
  // FNV-1a: stable across runs and builds, which std::hash is not.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  static const char* digits = "0123456789ABCDEF";
  std::string out = "0x";
  for (int shift = 60; shift >= 0; shift -= 4) out.push_back(digits[(h >> shift) & 15]);
  return out;
}

}  // namespace gp::sql
