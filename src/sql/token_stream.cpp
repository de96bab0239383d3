#include "sql/lexer.h"
#include "sql/sql.h"

namespace gp::sql {

namespace {

bool is_significant(TokenKind kind) {
  return kind != TokenKind::kWhitespace && kind != TokenKind::kComment;
}

}  // namespace

void for_each_significant_token(std::string_view sql, LexOptions options,
                                const std::function<void(const Token&)>& visit) {
  detail::Lexer lexer(sql, options);
  while (!lexer.at_end()) {
    Token t = lexer.next();
    if (t.kind != TokenKind::kExecutableComment) {
      if (is_significant(t.kind)) visit(t);
      continue;
    }
    // The content is read again from just after the marker, by a lexer that
    // sees the whole text, so that each token is decided as in tokenize().
    detail::Lexer content(sql, options, t.offset);
    content.skip(content.executable_marker(t.offset));
    const size_t end = t.offset + t.text.size() - 2;  // before `*/`
    while (content.pos() < end) {
      if (size_t m = content.executable_marker(content.pos())) {
        content.skip(m);
        continue;
      }
      Token inner = content.next();
      if (is_significant(inner.kind)) visit(inner);
    }
  }
}

}  // namespace gp::sql
