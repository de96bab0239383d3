#include "backend/statement.h"

#include <array>
#include <cctype>
#include <vector>

namespace gp::backend {

namespace {

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

enum class TokenKind { kWord, kQuotedIdent, kUserVariable, kSemicolon, kOther };

struct Token {
  TokenKind kind;
  std::string text;  // words upper-cased; quoted identifiers unescaped
  std::string raw;   // words as written
};

// A small SQL lexer: enough to find statement verbs, user variables and the
// argument of USE. Strings are skipped, never interpreted.
class Lexer {
 public:
  explicit Lexer(std::string_view sql) : s_(sql) {}

  bool next(Token& out) {
    for (;;) {
      skip_space();
      if (pos_ >= s_.size()) return false;
      char c = s_[pos_];
      if (c == '#' || (c == '-' && starts_with("--") && dash_comment())) {
        skip_line();
      } else if (starts_with("/*")) {
        skip_block_comment();
      } else if (exec_comment_ && starts_with("*/")) {
        exec_comment_ = false;
        pos_ += 2;
      } else {
        break;
      }
    }
    char c = s_[pos_];
    if (c == '\'' || c == '"') {
      skip_quoted(c);
      out = {TokenKind::kOther, {}, {}};
    } else if (c == '`') {
      auto name = read_backticked();
      // An unterminated identifier is a syntax error, not a name.
      out = name ? Token{TokenKind::kQuotedIdent, std::move(*name), {}}
                 : Token{TokenKind::kOther, {}, {}};
    } else if (c == ';') {
      ++pos_;
      out = {TokenKind::kSemicolon, {}, {}};
    } else if (c == '@') {
      read_variable(out);
    } else if (is_word_char(c)) {
      size_t start = pos_;
      while (pos_ < s_.size() && is_word_char(s_[pos_])) ++pos_;
      out.kind = TokenKind::kWord;
      out.raw = std::string(s_.substr(start, pos_ - start));
      out.text = out.raw;
      for (auto& ch : out.text)
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    } else {
      ++pos_;
      out = {TokenKind::kOther, std::string(1, c), {}};
    }
    return true;
  }

 private:
  bool starts_with(std::string_view p) const { return s_.substr(pos_, p.size()) == p; }

  // "--" starts a comment only when followed by white space or the end.
  bool dash_comment() const {
    return pos_ + 2 >= s_.size() || std::isspace(static_cast<unsigned char>(s_[pos_ + 2]));
  }

  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }

  void skip_line() {
    while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
  }

  // /*! and /*M! comments are executed by the server: their content is code.
  void skip_block_comment() {
    if (starts_with("/*!") || starts_with("/*M!")) {
      pos_ += starts_with("/*!") ? 3 : 4;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      exec_comment_ = true;
      return;
    }
    size_t end = s_.find("*/", pos_ + 2);
    pos_ = end == std::string_view::npos ? s_.size() : end + 2;
  }

  void skip_quoted(char quote) {
    ++pos_;
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '\\') {
        ++pos_;
      } else if (c == quote) {
        if (pos_ < s_.size() && s_[pos_] == quote) {
          ++pos_;
        } else {
          return;
        }
      }
    }
  }

  std::optional<std::string> read_backticked() {
    std::string name;
    ++pos_;
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '`') {
        if (pos_ < s_.size() && s_[pos_] == '`') {
          name.push_back('`');
          ++pos_;
        } else {
          return name;
        }
      } else {
        name.push_back(c);
      }
    }
    return std::nullopt;
  }

  // @@var and @@scope.var are system variables (reads or SET targets, which
  // the SET verb already covers); @name, @'name', @`name` are user variables.
  void read_variable(Token& out) {
    if (starts_with("@@")) {
      pos_ += 2;
      while (pos_ < s_.size() && (is_word_char(s_[pos_]) || s_[pos_] == '.')) ++pos_;
      out = {TokenKind::kOther, "@@", {}};
      return;
    }
    ++pos_;
    if (pos_ < s_.size() &&
        (is_word_char(s_[pos_]) || s_[pos_] == '\'' || s_[pos_] == '"' || s_[pos_] == '`')) {
      out = {TokenKind::kUserVariable, "@", {}};
    } else {
      out = {TokenKind::kOther, "@", {}};
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  bool exec_comment_ = false;
};

// Verbs whose effect outlives the statement on that connection.
constexpr std::array<std::string_view, 8> kPinningVerbs = {
    "SET", "LOCK", "PREPARE", "EXECUTE", "DEALLOCATE", "HANDLER", "XA", "CALL"};

// Words that anywhere in a statement tie later statements to this connection.
constexpr std::array<std::string_view, 5> kPinningWords = {
    "GET_LOCK", "SQL_CALC_FOUND_ROWS", "FOUND_ROWS", "LAST_INSERT_ID", "TEMPORARY"};

template <size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view word) {
  for (auto w : list) {
    if (w == word) return true;
  }
  return false;
}

void finish_statement(const std::vector<Token>& tokens, StatementTraits& traits) {
  if (tokens.empty()) return;
  const Token& verb = tokens.front();
  if (verb.kind != TokenKind::kWord) return;
  if (verb.text == "USE") {
    if (tokens.size() == 2 && tokens[1].kind == TokenKind::kWord) {
      traits.use_schema = tokens[1].raw;
    } else if (tokens.size() == 2 && tokens[1].kind == TokenKind::kQuotedIdent &&
               !tokens[1].text.empty()) {
      traits.use_schema = tokens[1].text;
    } else {
      traits.pins = true;
    }
    return;
  }
  if (contains(kPinningVerbs, verb.text)) traits.pins = true;
}

}  // namespace

StatementTraits classify_statement(std::string_view sql) {
  StatementTraits traits;
  Lexer lexer(sql);
  std::vector<Token> statement;
  Token token;
  while (lexer.next(token)) {
    if (token.kind == TokenKind::kSemicolon) {
      finish_statement(statement, traits);
      statement.clear();
      continue;
    }
    if (token.kind == TokenKind::kUserVariable) traits.pins = true;
    if (token.kind == TokenKind::kWord && contains(kPinningWords, token.text)) traits.pins = true;
    // Only the first few tokens matter for verbs and USE; the rest is scanned
    // for the words above without being kept.
    if (statement.size() < 3) statement.push_back(std::move(token));
  }
  finish_statement(statement, traits);
  return traits;
}

}  // namespace gp::backend
