#include "backend/statement.h"

#include <array>

#include "sql/sql.h"

namespace gp::backend {

namespace {

using sql::Token;
using sql::TokenKind;

// Verbs whose effect outlives the statement on that connection.
constexpr std::array<std::string_view, 8> kPinningVerbs = {
    "SET", "LOCK", "PREPARE", "EXECUTE", "DEALLOCATE", "HANDLER", "XA", "CALL"};

// Words that anywhere in a statement tie later statements to this connection.
constexpr std::array<std::string_view, 5> kPinningWords = {
    "GET_LOCK", "SQL_CALC_FOUND_ROWS", "FOUND_ROWS", "LAST_INSERT_ID", "TEMPORARY"};

template <size_t N>
bool is_one_of(const Token& token, const std::array<std::string_view, N>& words) {
  for (auto w : words) {
    if (sql::is_word(token, w)) return true;
  }
  return false;
}

// What one statement of the text showed: its first tokens (enough for its
// verb and USE's argument) and whether anything in it pins.
struct StatementScan {
  std::array<Token, 3> tokens{};
  size_t count = 0;  // tokens seen, possibly more than kept
  bool pins = false;
  bool unterminated = false;  // a quote or comment that never closes
};

void finish_statement(const StatementScan& s, StatementTraits& traits) {
  if (s.count == 0) return;
  if (s.pins) traits.pins = true;
  const Token& verb = s.tokens[0];
  if (sql::is_word(verb, "USE")) {
    const Token& name = s.tokens[1];
    if (s.count == 2 && name.kind == TokenKind::kWord) {
      traits.use_schema = std::string(name.text);
    } else if (s.count == 2 && name.kind == TokenKind::kQuotedIdentifier &&
               !sql::identifier_value(name).empty()) {
      traits.use_schema = sql::identifier_value(name);
    } else {
      traits.pins = true;
    }
    return;
  }
  if (is_one_of(verb, kPinningVerbs)) traits.pins = true;
}

// Whether a token's extent depends on how backslashes are read.
bool has_backslash(const Token& t) {
  return (t.kind == TokenKind::kString || t.kind == TokenKind::kUserVariable ||
          t.kind == TokenKind::kUnterminated) &&
         t.text.find('\\') != std::string_view::npos;
}

// `skip_unterminated`: a statement with a quote that never closes is one the
// server rejects whole, so it changes nothing; statements before it still ran.
StatementTraits classify(std::string_view text, sql::LexOptions options, bool skip_unterminated,
                         bool* saw_backslash) {
  StatementTraits traits;
  StatementScan statement;
  auto finish = [&] {
    if (!(skip_unterminated && statement.unterminated)) finish_statement(statement, traits);
    statement = {};
  };
  sql::for_each_significant_token(text, options, [&](const Token& t) {
    if (saw_backslash && has_backslash(t)) *saw_backslash = true;
    if (t.kind == TokenKind::kPunct && t.text == ";") return finish();
    if (t.kind == TokenKind::kUserVariable || is_one_of(t, kPinningWords)) statement.pins = true;
    if (t.kind == TokenKind::kUnterminated) statement.unterminated = true;
    if (statement.count < statement.tokens.size()) statement.tokens[statement.count] = t;
    ++statement.count;
  });
  finish();
  return traits;
}

}  // namespace

StatementTraits classify_statement(std::string_view sql) {
  bool saw_backslash = false;
  StatementTraits traits = classify(sql, {}, false, &saw_backslash);
  if (!saw_backslash) return traits;
  // The session's sql_mode is not known here, and a backslash in a quote
  // moves where the quote ends under NO_BACKSLASH_ESCAPES or ANSI_QUOTES:
  // `'a\', @x := 1, '` sets @x only under NO_BACKSLASH_ESCAPES. Every reading
  // the server could make is taken into account, and a doubt pins. Only the
  // default reading also counts a statement that never closes a quote, which
  // errs towards pinning; under the other modes such a reading is one the
  // server would reject.
  for (sql::LexOptions options :
       {sql::LexOptions{.no_backslash_escapes = true}, sql::LexOptions{.ansi_quotes = true}}) {
    StatementTraits other = classify(sql, options, true, nullptr);
    traits.pins = traits.pins || other.pins;
    if (traits.use_schema != other.use_schema) {
      traits.use_schema.reset();
      traits.pins = true;
    }
  }
  return traits;
}

}  // namespace gp::backend
