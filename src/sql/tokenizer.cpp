#include <array>

#include "sql/lexer.h"
#include "sql/sql.h"

namespace gp::sql {

namespace detail {

namespace {

constexpr size_t npos = std::string_view::npos;

// Character sets whose `_name` is an introducer (MySQL 8 and MariaDB 10.11);
// any other `_name` before a quote is an identifier followed by a string.
constexpr std::array<std::string_view, 43> kCharsets = {
    "armscii8", "ascii",   "big5",   "binary",  "cp1250", "cp1251",  "cp1256",  "cp1257",
    "cp850",    "cp852",   "cp866",  "cp932",   "dec8",   "eucjpms", "euckr",   "filename",
    "gb18030",  "gb2312",  "gbk",    "geostd8", "greek",  "hebrew",  "hp8",     "keybcs2",
    "koi8r",    "koi8u",   "latin1", "latin2",  "latin5", "latin7",  "macce",   "macroman",
    "sjis",     "swe7",    "tis620", "ucs2",    "ujis",   "utf16",   "utf16le", "utf32",
    "utf8",     "utf8mb3", "utf8mb4"};

// Longest first, so that `<=>` wins over `<=`.
constexpr std::array<std::string_view, 12> kOperators = {
    "<=>", "->>", "<=", ">=", "<>", "!=", ":=", "||", "&&", "<<", ">>", "->"};

bool is_hex(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// `--` is a comment only before white space or a control character (the end
// of the text reads as NUL, a control character, in the server).
bool dash_comment_follows(unsigned char c) {
  return c <= ' ' || c == 0x7f;
}

}  // namespace

bool is_charset_name(std::string_view name) {
  for (auto cs : kCharsets) {
    if (iequals(cs, name)) return true;
  }
  return false;
}

size_t Lexer::executable_marker(size_t at_pos) const {
  size_t p;
  if (s_.substr(at_pos, 3) == "/*!") {
    p = at_pos + 3;
  } else if (s_.substr(at_pos, 4) == "/*M!") {
    p = at_pos + 4;
  } else {
    return 0;
  }
  bool version = true;
  for (size_t i = 0; i < 5; ++i) version = version && is_digit(at(p + i));
  if (version) p += is_digit(at(p + 5)) ? 6 : 5;
  return p - at_pos;
}

size_t Lexer::quoted_end(size_t quote_at, bool escapes) const {
  const char quote = s_[quote_at];
  for (size_t i = quote_at + 1; i < s_.size(); ++i) {
    if (escapes && s_[i] == '\\') {
      ++i;
    } else if (s_[i] == quote) {
      if (at(i + 1) != static_cast<unsigned char>(quote)) return i + 1;
      ++i;
    }
  }
  return npos;
}

Token Lexer::quoted(size_t start, size_t quote_at, TokenKind kind, bool escapes) {
  size_t end = quoted_end(quote_at, escapes);
  if (end == npos) {
    pos_ = s_.size();
    return make(TokenKind::kUnterminated, start);
  }
  pos_ = end;
  return make(kind, start);
}

// Where the string of a `_charset` introducer starts, or npos when `start`
// is not one.
size_t Lexer::introducer_end(size_t start) const {
  size_t p = start + 1;
  while (is_ident_char(at(p))) ++p;
  if (!is_charset_name(s_.substr(start + 1, p - start - 1))) return npos;
  while (is_space(at(p))) ++p;
  return has(p) && string_quote(at(p)) ? p : npos;
}

Token Lexer::word(size_t start) {
  while (is_ident_char(at(pos_))) ++pos_;
  dot_is_separator_ = at(pos_) == '.' && is_ident_char(at(pos_ + 1));
  return make(TokenKind::kWord, start);
}

Token Lexer::real_part(size_t start, size_t dot) {
  pos_ = dot + 1;
  while (is_digit(at(pos_))) ++pos_;
  if (at(pos_) == 'e' || at(pos_) == 'E') {
    size_t p = pos_ + 1;
    if (at(p) == '+' || at(p) == '-') ++p;
    if (is_digit(at(p))) {
      while (is_digit(at(p))) ++p;
      pos_ = p;
    }
  }
  return make(TokenKind::kNumber, start);
}

// A run that starts with a digit: a number, 0x/0b literal, or an identifier
// (MySQL's MY_LEX_NUMBER_IDENT).
Token Lexer::number(size_t start) {
  if (at(start) == '0' && (at(start + 1) == 'x' || at(start + 1) == 'b')) {
    const bool hex = at(start + 1) == 'x';
    size_t p = start + 2;
    while (hex ? is_hex(at(p)) : (at(p) == '0' || at(p) == '1')) ++p;
    if (p > start + 2 && !is_ident_char(at(p))) {
      pos_ = p;
      return make(hex ? TokenKind::kHexLiteral : TokenKind::kBitLiteral, start);
    }
    return word(start);
  }
  size_t p = start;
  while (is_digit(at(p))) ++p;
  if (!is_ident_char(at(p))) {
    if (at(p) == '.') return real_part(start, p);
    pos_ = p;
    return make(TokenKind::kNumber, start);
  }
  if (at(p) == 'e' || at(p) == 'E') {
    size_t q = p + 1;
    if (at(q) == '+' || at(q) == '-') ++q;
    if (is_digit(at(q))) {
      while (is_digit(at(q))) ++q;
      pos_ = q;
      return make(TokenKind::kNumber, start);
    }
  }
  return word(start);
}

// An executable comment ends at the first `*/` that starts a token of its
// content; markers of nested ones are part of it.
Token Lexer::executable(size_t start) {
  pos_ = start + executable_marker(start);
  for (;;) {
    if (at_end()) return make(TokenKind::kUnterminated, start);
    if (starts_with("*/")) {
      pos_ += 2;
      return make(TokenKind::kExecutableComment, start);
    }
    if (size_t m = executable_marker(pos_)) {
      pos_ += m;
      continue;
    }
    if (next().kind == TokenKind::kUnterminated) return make(TokenKind::kUnterminated, start);
  }
}

Token Lexer::variable(size_t start) {
  if (at(start + 1) == '@') {
    size_t p = start + 2;
    auto part = [&](size_t q) -> size_t {  // end of one name at q, or q
      if (at(q) == '`') {
        size_t e = quoted_end(q, false);
        return e == npos ? q : e;
      }
      while (is_ident_char(at(q))) ++q;
      return q;
    };
    size_t e = part(p);
    if (e == p) {
      pos_ = p;
      return make(TokenKind::kPunct, start);
    }
    if (at(e) == '.') {
      size_t e2 = part(e + 1);
      if (e2 > e + 1) e = e2;
    }
    pos_ = e;
    return make(TokenKind::kSystemVariable, start);
  }
  unsigned char c = at(start + 1);
  if (c == '\'' || c == '"' || c == '`') {
    bool escapes =
        c != '`' && !(c == '"' && options_.ansi_quotes) && !options_.no_backslash_escapes;
    return quoted(start, start + 1, TokenKind::kUserVariable, escapes);
  }
  size_t p = start + 1;
  while (is_ident_char(at(p)) || at(p) == '.') ++p;
  pos_ = p;
  return make(p > start + 1 ? TokenKind::kUserVariable : TokenKind::kPunct, start);
}

Token Lexer::next() {
  const size_t start = pos_;
  const bool force_identifier = force_identifier_;
  const bool dot_is_separator = dot_is_separator_;
  force_identifier_ = dot_is_separator_ = false;
  const unsigned char c = at(start);
  const bool escapes = !options_.no_backslash_escapes;

  if (force_identifier && is_ident_char(c)) return word(start);
  if (is_space(c)) {
    while (is_space(at(pos_))) ++pos_;
    return make(TokenKind::kWhitespace, start);
  }
  if (c == '#' || (c == '-' && at(start + 1) == '-' && dash_comment_follows(at(start + 2)))) {
    size_t end = s_.find('\n', start);
    pos_ = end == npos ? s_.size() : end;
    return make(TokenKind::kComment, start);
  }
  if (c == '/' && at(start + 1) == '*') {
    if (executable_marker(start)) return executable(start);
    size_t end = s_.find("*/", start + 2);
    if (end == npos) {
      pos_ = s_.size();
      return make(TokenKind::kUnterminated, start);
    }
    pos_ = end + 2;
    return make(TokenKind::kComment, start);
  }
  if (c == '\'') return quoted(start, start, TokenKind::kString, escapes);
  if (c == '"') {
    return options_.ansi_quotes ? quoted(start, start, TokenKind::kQuotedIdentifier, false)
                                : quoted(start, start, TokenKind::kString, escapes);
  }
  if (c == '`') return quoted(start, start, TokenKind::kQuotedIdentifier, false);
  if (at(start + 1) == '\'') {
    if (c == 'N' || c == 'n') return quoted(start, start + 1, TokenKind::kString, escapes);
    // X'..' and B'..' end at the next quote; whether the digits are valid is
    // the parser's concern, as is an odd count of hex digits.
    if (c == 'X' || c == 'x' || c == 'B' || c == 'b') {
      size_t end = s_.find('\'', start + 2);
      if (end == npos) {
        pos_ = s_.size();
        return make(TokenKind::kUnterminated, start);
      }
      pos_ = end + 1;
      return make(c == 'X' || c == 'x' ? TokenKind::kHexLiteral : TokenKind::kBitLiteral, start);
    }
  }
  if (c == '_') {
    size_t q = introducer_end(start);
    if (q != npos) return quoted(start, q, TokenKind::kString, escapes);
  }
  if (is_digit(c)) return number(start);
  if (c == '.' && is_digit(at(start + 1)) && !dot_is_separator) return real_part(start, start);
  if (is_ident_char(c)) return word(start);
  if (c == '@') return variable(start);
  if (c == '?') {
    pos_ = start + 1;
    return make(TokenKind::kParameter, start);
  }
  if (c == '\\' && at(start + 1) == 'N') {  // \N: the old spelling of NULL
    pos_ = start + 2;
    return make(TokenKind::kWord, start);
  }
  for (auto op : kOperators) {
    if (s_.substr(start, op.size()) == op) {
      pos_ = start + op.size();
      return make(TokenKind::kPunct, start);
    }
  }
  pos_ = start + 1;
  if (c == '.' && is_ident_char(at(pos_))) force_identifier_ = true;
  return make(TokenKind::kPunct, start);
}

}  // namespace detail

std::vector<Token> tokenize(std::string_view sql, LexOptions options) {
  std::vector<Token> out;
  detail::Lexer lexer(sql, options);
  while (!lexer.at_end()) out.push_back(lexer.next());
  return out;
}

namespace {

bool is_significant(TokenKind kind) {
  return kind != TokenKind::kWhitespace && kind != TokenKind::kComment;
}

}  // namespace

std::vector<Token> significant_tokens(std::string_view sql, LexOptions options) {
  std::vector<Token> out;
  for_each_significant_token(sql, options, [&](const Token& t) { out.push_back(t); });
  return out;
}

std::vector<std::string_view> split_statements(std::string_view sql, LexOptions options) {
  std::vector<std::string_view> out;
  size_t first = std::string_view::npos;
  size_t last_end = 0;
  auto flush = [&] {
    if (first != std::string_view::npos) out.push_back(sql.substr(first, last_end - first));
    first = std::string_view::npos;
  };
  for (const Token& t : tokenize(sql, options)) {
    if (t.kind == TokenKind::kPunct && t.text == ";") {
      flush();
    } else if (is_significant(t.kind)) {
      if (first == std::string_view::npos) first = t.offset;
      last_end = t.offset + t.text.size();
    }
  }
  flush();
  return out;
}

}  // namespace gp::sql
