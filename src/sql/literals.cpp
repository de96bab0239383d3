#include "sql/lexer.h"
#include "sql/sql.h"

namespace gp::sql {

namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// The decoded byte of `\c`, or 0 with `keep` set when the backslash stays.
char unescape(char c, bool& keep) {
  keep = false;
  switch (c) {
    case '0':
      return '\0';
    case 'b':
      return '\b';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'Z':
      return '\x1a';
    case '%':
    case '_':
      keep = true;
      return c;
    default:
      return c;
  }
}

}  // namespace

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_word(const Token& token, std::string_view keyword) {
  return token.kind == TokenKind::kWord && iequals(token.text, keyword);
}

std::string string_value(const Token& token, LexOptions options) {
  std::string_view t = token.text;
  if (token.kind != TokenKind::kString || t.size() < 2) return std::string(t);
  size_t i = 0;
  if (t[0] == '_') {
    while (i < t.size() && detail::is_ident_char(static_cast<unsigned char>(t[i]))) ++i;
    while (i < t.size() && detail::is_space(static_cast<unsigned char>(t[i]))) ++i;
  } else if (t[0] == 'N' || t[0] == 'n') {
    i = 1;
  }
  if (i + 2 > t.size()) return std::string(t);
  const char quote = t[i];
  std::string_view body = t.substr(i + 1, t.size() - i - 2);
  std::string out;
  out.reserve(body.size());
  for (size_t j = 0; j < body.size(); ++j) {
    char c = body[j];
    if (c == '\\' && !options.no_backslash_escapes && j + 1 < body.size()) {
      bool keep;
      char d = unescape(body[++j], keep);
      if (keep) out.push_back('\\');
      out.push_back(d);
    } else {
      out.push_back(c);
      if (c == quote && j + 1 < body.size() && body[j + 1] == quote) ++j;
    }
  }
  return out;
}

std::string quote_string(std::string_view value, LexOptions options) {
  std::string out;
  out.reserve(value.size() + 2);
  out.push_back('\'');
  for (char c : value) {
    if (c == '\'') {
      out += "''";
    } else if (options.no_backslash_escapes) {
      out.push_back(c);
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\0') {
      out += "\\0";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\x1a') {
      out += "\\Z";
    } else {
      out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

std::string identifier_value(const Token& token) {
  std::string_view t = token.text;
  if (token.kind != TokenKind::kQuotedIdentifier || t.size() < 2) return std::string(t);
  const char quote = t[0];
  std::string_view body = t.substr(1, t.size() - 2);
  std::string out;
  out.reserve(body.size());
  for (size_t j = 0; j < body.size(); ++j) {
    out.push_back(body[j]);
    if (body[j] == quote && j + 1 < body.size() && body[j + 1] == quote) ++j;
  }
  return out;
}

}  // namespace gp::sql
