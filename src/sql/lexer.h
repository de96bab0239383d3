// The scanner behind tokenize() and significant_tokens(); private to src/sql.
#pragma once

#include <cstddef>
#include <string_view>

#include "sql/sql.h"

namespace gp::sql::detail {

inline bool is_ident_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c >= 0x80;
}
inline bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
// my_isspace of utf8mb4: the ASCII white space characters.
inline bool is_space(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

// Whether `name` (any case) is a character set MySQL or MariaDB knows.
bool is_charset_name(std::string_view name);

// Reads one token at a time from `sql`. The whole text stays visible so that
// a token is decided by the bytes that follow it even when the caller stops
// early (at the end of an executable comment's content).
class Lexer {
 public:
  Lexer(std::string_view sql, LexOptions options, size_t pos = 0)
      : s_(sql), options_(options), pos_(pos) {}

  size_t pos() const { return pos_; }
  bool at_end() const { return pos_ >= s_.size(); }

  // The token at pos(); precondition: !at_end().
  Token next();

  // The length of an executable-comment marker with its version at `at`, or 0.
  size_t executable_marker(size_t at) const;
  void skip(size_t n) { pos_ += n; }
  bool starts_with(std::string_view p) const { return s_.substr(pos_, p.size()) == p; }

 private:
  Token make(TokenKind kind, size_t start) const {
    return Token{kind, s_.substr(start, pos_ - start), start};
  }
  unsigned char at(size_t i) const { return i < s_.size() ? static_cast<unsigned char>(s_[i]) : 0; }
  bool has(size_t i) const { return i < s_.size(); }

  Token word(size_t start);
  Token number(size_t start);
  Token real_part(size_t start, size_t dot);
  Token executable(size_t start);
  Token quoted(size_t start, size_t quote_at, TokenKind kind, bool escapes);
  Token variable(size_t start);
  size_t introducer_end(size_t start) const;
  size_t quoted_end(size_t quote_at, bool escapes) const;  // npos when unterminated
  bool string_quote(unsigned char c) const {
    return c == '\'' || (c == '"' && !options_.ansi_quotes);
  }

  std::string_view s_;
  LexOptions options_;
  size_t pos_;
  bool dot_is_separator_ = false;  // after `name` directly followed by `.` and a name byte
  bool force_identifier_ = false;  // after such a `.`: the next run is an identifier
};

}  // namespace gp::sql::detail
