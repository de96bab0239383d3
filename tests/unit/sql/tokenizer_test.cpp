#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sql/sql.h"

namespace gp::sql {
namespace {

const char* kind_name(TokenKind k) {
  switch (k) {
    case TokenKind::kWhitespace:
      return "ws";
    case TokenKind::kComment:
      return "comment";
    case TokenKind::kExecutableComment:
      return "exec";
    case TokenKind::kWord:
      return "word";
    case TokenKind::kQuotedIdentifier:
      return "qident";
    case TokenKind::kString:
      return "string";
    case TokenKind::kNumber:
      return "number";
    case TokenKind::kHexLiteral:
      return "hex";
    case TokenKind::kBitLiteral:
      return "bit";
    case TokenKind::kParameter:
      return "param";
    case TokenKind::kUserVariable:
      return "uvar";
    case TokenKind::kSystemVariable:
      return "svar";
    case TokenKind::kPunct:
      return "punct";
    case TokenKind::kUnterminated:
      return "unterminated";
  }
  return "?";
}

std::string render(const std::vector<Token>& tokens) {
  std::string out;
  for (const auto& t : tokens) {
    if (!out.empty()) out += " ";
    out += kind_name(t.kind);
    out += ":";
    out += t.text;
  }
  return out;
}

// The significant tokens, which is what most rules are about.
std::string sig(std::string_view sql, LexOptions o = {}) {
  return render(significant_tokens(sql, o));
}
std::string all(std::string_view sql, LexOptions o = {}) {
  return render(tokenize(sql, o));
}

void expect_cover(std::string_view sql, LexOptions o = {}) {
  size_t at = 0;
  for (const auto& t : tokenize(sql, o)) {
    ASSERT_EQ(t.offset, at) << sql;
    ASSERT_FALSE(t.text.empty()) << sql;
    ASSERT_EQ(t.text, sql.substr(t.offset, t.text.size()));
    at += t.text.size();
  }
  EXPECT_EQ(at, sql.size()) << sql;
}

Token one(std::string_view sql, LexOptions o = {}) {
  auto t = tokenize(sql, o);
  EXPECT_EQ(t.size(), 1u) << sql << " -> " << render(t);
  return t.empty() ? Token{TokenKind::kUnterminated, {}, 0} : t[0];
}

TEST(Tokenize, EmptyTextHasNoTokens) {
  EXPECT_TRUE(tokenize("").empty());
  EXPECT_TRUE(significant_tokens("  \n").empty());
}

TEST(Tokenize, TokensCoverTheText) {
  for (std::string_view s :
       {"SELECT 1", "select 'a''b' \"c\" `d``e` -- x\n#y\n/* z */ /*!50001 w */", "'open",
        "/* open", "/*! open 'x", "@@", "@", "x.1e5", "\\N", "a<=>b->>c", "\xff\x80 \x01"}) {
    expect_cover(s);
    expect_cover(s, {true, true});
  }
}

TEST(Tokenize, DashDashNeedsWhiteSpaceOrControlOrEnd) {
  EXPECT_EQ(all("1 -- c\n2"), "number:1 ws:  comment:-- c ws:\n number:2");
  EXPECT_EQ(all("1--\t"), "number:1 comment:--\t");
  EXPECT_EQ(all("1--"), "number:1 comment:--");
  EXPECT_EQ(all("1--\x01x"), "number:1 comment:--\x01x");
  EXPECT_EQ(sig("1--2"), "number:1 punct:- punct:- number:2");
  EXPECT_EQ(sig("1 --x"), "number:1 punct:- punct:- word:x");
}

TEST(Tokenize, HashRunsToEndOfLine) {
  EXPECT_EQ(all("a#b c\r\nd"), "word:a comment:#b c\r ws:\n word:d");
  EXPECT_EQ(all("#"), "comment:#");
}

TEST(Tokenize, BlockCommentsDoNotNest) {
  EXPECT_EQ(all("/* a /* b */c*/"), "comment:/* a /* b */ word:c punct:* punct:/");
  EXPECT_EQ(all("/**/"), "comment:/**/");
  EXPECT_EQ(all("/*/"), "unterminated:/*/");
  EXPECT_EQ(all("/*+ BKA(t) */"), "comment:/*+ BKA(t) */");
  EXPECT_EQ(all("a/b"), "word:a punct:/ word:b");
}

TEST(Tokenize, ExecutableCommentsAreOneTokenAndReadInline) {
  EXPECT_EQ(all("/*!40101 SET x=1 */;"), "exec:/*!40101 SET x=1 */ punct:;");
  EXPECT_EQ(sig("/*!40101 SET x=1 */;"), "word:SET word:x punct:= number:1 punct:;");
  EXPECT_EQ(sig("/*! STRAIGHT_JOIN */"), "word:STRAIGHT_JOIN");
  EXPECT_EQ(sig("/*M!100100 a */ b"), "word:a word:b");
  EXPECT_EQ(sig("/*!1234 a */"), "number:1234 word:a");  // not a version: content
  EXPECT_EQ(sig("/*!123456b*/"), "word:b");              // six digits (MariaDB)
  EXPECT_EQ(sig("/*!50001a*/"), "word:a");
  EXPECT_EQ(sig("/*m! a */"), "");  // only upper-case M is MariaDB's marker
  // Quotes inside are strings: their */ does not close the comment.
  EXPECT_EQ(all("/*! SELECT '*/' */"), "exec:/*! SELECT '*/' */");
  EXPECT_EQ(sig("/*! SELECT '*/' */"), "word:SELECT string:'*/'");
  EXPECT_EQ(sig("/*! a /* b */ c */"), "word:a word:c");
  EXPECT_EQ(sig("/*! a /*! b */ c */"), "word:a word:b word:c punct:* punct:/");
  EXPECT_EQ(all("/*! a"), "unterminated:/*! a");
  EXPECT_EQ(all("/*! 'a */"), "unterminated:/*! 'a */");
  EXPECT_EQ(all("/*! a # */\n"), "unterminated:/*! a # */\n");
  EXPECT_EQ(sig("/*!*/x"), "word:x");
  // A `--` before `*/` is two minus signs, as the server reads it.
  EXPECT_EQ(sig("/*! 1 --*/"), "number:1 punct:- punct:-");
}

TEST(Tokenize, Strings) {
  EXPECT_EQ(sig("'a' 'b'"), "string:'a' string:'b'");
  EXPECT_EQ(sig("'a''b'"), "string:'a''b'");
  EXPECT_EQ(sig("'a\\'b'"), "string:'a\\'b'");
  EXPECT_EQ(sig("\"a\\\"b\" x"), "string:\"a\\\"b\" word:x");
  EXPECT_EQ(sig("'a\\'c'", {.no_backslash_escapes = true}), "string:'a\\' word:c unterminated:'");
  EXPECT_EQ(sig("'a\\'b'", {.no_backslash_escapes = true}), "string:'a\\' unterminated:b'");
  EXPECT_EQ(sig("'\\\\' x"), "string:'\\\\' word:x");
  EXPECT_EQ(all("'abc"), "unterminated:'abc");
  EXPECT_EQ(all("'abc\\'"), "unterminated:'abc\\'");
}

TEST(Tokenize, IntroducersAndNationalStrings) {
  EXPECT_EQ(sig("_utf8mb4'x'"), "string:_utf8mb4'x'");
  EXPECT_EQ(sig("_LATIN1 \"x\""), "string:_LATIN1 \"x\"");
  EXPECT_EQ(sig("_binary'\\0'"), "string:_binary'\\0'");
  EXPECT_EQ(sig("_utf8mb4 0x41"), "word:_utf8mb4 hex:0x41");
  EXPECT_EQ(sig("_nosuch'x'"), "word:_nosuch string:'x'");
  EXPECT_EQ(sig("_utf8mb4\"x\"", {.ansi_quotes = true}), "word:_utf8mb4 qident:\"x\"");
  EXPECT_EQ(sig("N'x' n'y'"), "string:N'x' string:n'y'");
  EXPECT_EQ(sig("N \"x\""), "word:N string:\"x\"");
  EXPECT_EQ(sig("N\"x\""), "word:N string:\"x\"");
}

TEST(Tokenize, QuotedIdentifiers) {
  EXPECT_EQ(sig("`a``b`.`c`"), "qident:`a``b` punct:. qident:`c`");
  EXPECT_EQ(sig("`a\\`"), "qident:`a\\`");
  EXPECT_EQ(sig("\"a\"\"b\"", {.ansi_quotes = true}), "qident:\"a\"\"b\"");
  EXPECT_EQ(sig("\"a\\\"", {.ansi_quotes = true}), "qident:\"a\\\"");
  EXPECT_EQ(all("`open"), "unterminated:`open");
}

TEST(Tokenize, HexAndBitLiterals) {
  EXPECT_EQ(sig("X'0A' x'0a' 0x0A 0x"), "hex:X'0A' hex:x'0a' hex:0x0A word:0x");
  EXPECT_EQ(sig("0X0A 0x1g 0xAbC,"), "word:0X0A word:0x1g hex:0xAbC punct:,");
  EXPECT_EQ(sig("B'01' b'1' 0b01 0b012 0B1"), "bit:B'01' bit:b'1' bit:0b01 word:0b012 word:0B1");
  EXPECT_EQ(all("X'0A"), "unterminated:X'0A");
}

TEST(Tokenize, NumbersAndIdentifiersThatStartWithDigits) {
  EXPECT_EQ(sig("1 1.5 .5 1. 1e10 1.5E-3 1e+5 .5e2"),
            "number:1 number:1.5 number:.5 number:1. number:1e10 number:1.5E-3 number:1e+5 "
            "number:.5e2");
  EXPECT_EQ(sig("1abc 1e 1ea 123_4 1$"), "word:1abc word:1e word:1ea word:123_4 word:1$");
  EXPECT_EQ(sig("1e+x"), "word:1e punct:+ word:x");
  EXPECT_EQ(sig("1.5e"), "number:1.5 word:e");
  EXPECT_EQ(sig("1.5abc"), "number:1.5 word:abc");
  EXPECT_EQ(sig("-1"), "punct:- number:1");
  EXPECT_EQ(sig("1e5abc"), "number:1e5 word:abc");
}

TEST(Tokenize, NamesAfterADotAreIdentifiers) {
  EXPECT_EQ(sig("t.1e5"), "word:t punct:. word:1e5");
  EXPECT_EQ(sig("db.t.5"), "word:db punct:. word:t punct:. word:5");
  EXPECT_EQ(sig("t .5"), "word:t number:.5");
  EXPECT_EQ(sig("t.x'41'"), "word:t punct:. word:x string:'41'");
  EXPECT_EQ(sig("`t`.5"), "qident:`t` number:.5");  // MySQL starts afresh after a quote
  EXPECT_EQ(sig("t.*"), "word:t punct:. punct:*");
}

TEST(Tokenize, IdentifierBytes) {
  EXPECT_EQ(sig("$a a$b \xc3\xa9t\xc3\xa9"), "word:$a word:a$b word:\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(sig("\x80"), "word:\x80");
}

TEST(Tokenize, Variables) {
  EXPECT_EQ(sig("@x @x.y @'a b' @\"c\" @`d` @1"),
            "uvar:@x uvar:@x.y uvar:@'a b' uvar:@\"c\" uvar:@`d` uvar:@1");
  EXPECT_EQ(sig("@@x @@session.x @@GLOBAL.y @@local.z @@`x`"),
            "svar:@@x svar:@@session.x svar:@@GLOBAL.y svar:@@local.z svar:@@`x`");
  EXPECT_EQ(sig("@@session.`x` @@a.b.c"), "svar:@@session.`x` svar:@@a.b punct:. word:c");
  EXPECT_EQ(sig("@ @@ x"), "punct:@ punct:@@ word:x");
  EXPECT_EQ(sig("'u'@'h'"), "string:'u' uvar:@'h'");
  EXPECT_EQ(all("@'x"), "unterminated:@'x");
}

TEST(Tokenize, OperatorsAndPunctuation) {
  EXPECT_EQ(sig("a<=>b<=c>=d<>e!=f:=g||h&&i<<j>>k->l->>m"),
            "word:a punct:<=> word:b punct:<= word:c punct:>= word:d punct:<> word:e punct:!= "
            "word:f punct::= word:g punct:|| word:h punct:&& word:i punct:<< word:j punct:>> "
            "word:k punct:-> word:l punct:->> word:m");
  EXPECT_EQ(sig("(a,b);=?.!~"),
            "punct:( word:a punct:, word:b punct:) punct:; punct:= param:? punct:. punct:! "
            "punct:~");
  EXPECT_EQ(sig("\\N"), "word:\\N");
  EXPECT_EQ(sig("\x01"), "punct:\x01");
}

TEST(SplitStatements, SplitsAtSemicolonTokens) {
  auto parts = split_statements("SELECT ';'; /* c */ ; SET a=1 -- x\n; /*!40101 SET b=2; */");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], "SELECT ';'");
  EXPECT_EQ(parts[1], "SET a=1");
  EXPECT_EQ(parts[2], "/*!40101 SET b=2; */");
  EXPECT_TRUE(split_statements(" ; -- x").empty());
}

TEST(StringValue, DecodesEscapesAndDoubling) {
  EXPECT_EQ(string_value(one("'a''b'")), "a'b");
  EXPECT_EQ(string_value(one("'a\"\"b'")), "a\"\"b");
  EXPECT_EQ(string_value(one("\"a\"\"b\"")), "a\"b");
  EXPECT_EQ(string_value(one("'\\0\\'\\\"\\b\\n\\r\\t\\Z\\\\\\%\\_\\x'")),
            std::string("\0'\"\b\n\r\t\x1a\\\\%\\_x", 14));
  EXPECT_EQ(string_value(one("_utf8mb4 'x'")), "x");
  EXPECT_EQ(string_value(one("N'x'")), "x");
  EXPECT_EQ(string_value(one("''")), "");
}

TEST(StringValue, NoBackslashEscapesKeepsBackslashes) {
  LexOptions o{.no_backslash_escapes = true};
  EXPECT_EQ(string_value(one("'a\\n''b\\'", o), o), "a\\n'b\\");
}

TEST(StringValue, OtherTokensKeepTheirText) {
  EXPECT_EQ(string_value(one("abc")), "abc");
}

TEST(QuoteString, RoundTripsAnyBytes) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (LexOptions o :
       {LexOptions{}, LexOptions{true, false}, LexOptions{false, true}, LexOptions{true, true}}) {
    for (std::string v : {std::string(), std::string("it's"), std::string("a\\b"), bytes}) {
      std::string q = quote_string(v, o);
      auto tokens = tokenize(q, o);
      ASSERT_EQ(tokens.size(), 1u) << q;
      ASSERT_EQ(tokens[0].kind, TokenKind::kString);
      EXPECT_EQ(string_value(tokens[0], o), v);
    }
  }
  EXPECT_EQ(quote_string("it's\n"), "'it''s\\n'");
}

TEST(IdentifierValue, UndoublesQuotes) {
  EXPECT_EQ(identifier_value(one("`a``b`")), "a`b");
  EXPECT_EQ(identifier_value(one("\"a\"\"b\"", {.ansi_quotes = true})), "a\"b");
  EXPECT_EQ(identifier_value(one("Abc")), "Abc");
}

TEST(IsWord, IgnoresAsciiCase) {
  EXPECT_TRUE(is_word(one("SeLeCt"), "select"));
  EXPECT_FALSE(is_word(one("`select`"), "select"));
  EXPECT_FALSE(is_word(one("selects"), "select"));
}

TEST(Tokenize, QuotesUnderEveryMode) {
  const LexOptions nbe{.no_backslash_escapes = true};
  const LexOptions ansi{.ansi_quotes = true};
  const LexOptions both{true, true};
  // NO_BACKSLASH_ESCAPES applies to "..." strings too.
  EXPECT_EQ(sig("\"a\\\" x", nbe), "string:\"a\\\" word:x");
  EXPECT_EQ(sig("\"a\"\"b\\\"", nbe), "string:\"a\"\"b\\\"");
  // ANSI_QUOTES leaves '...' strings with their escapes.
  EXPECT_EQ(sig("'a\\'b' \"c\\\"", ansi), "string:'a\\'b' qident:\"c\\\"");
  EXPECT_EQ(sig("'a\\' \"b\\\"", both), "string:'a\\' qident:\"b\\\"");
  EXPECT_EQ(sig("@\"a\\\" x", nbe), "uvar:@\"a\\\" word:x");
  EXPECT_EQ(all("\"open", ansi), "unterminated:\"open");
  EXPECT_EQ(string_value(one("\"a\\\"\"\"", nbe), nbe), "a\\\"");
}

TEST(Tokenize, CommentMarkersInsideQuotesAreText) {
  EXPECT_EQ(sig("'-- a' \"# b\" `/* c */` '*/'"),
            "string:'-- a' string:\"# b\" qident:`/* c */` string:'*/'");
  EXPECT_EQ(sig("\"-- a\" x", {.ansi_quotes = true}), "qident:\"-- a\" word:x");
  EXPECT_EQ(sig("'/*!50700 a */'"), "string:'/*!50700 a */'");
}

TEST(Tokenize, ExecutableCommentsUnderTheModes) {
  // Escapes inside one follow the session's mode like anywhere else.
  EXPECT_EQ(all("/*! 'a\\' */", {.no_backslash_escapes = true}), "exec:/*! 'a\\' */");
  EXPECT_EQ(all("/*! 'a\\' */"), "unterminated:/*! 'a\\' */");
  EXPECT_EQ(sig("/*!50700 \"*/\" */", {.ansi_quotes = true}), "qident:\"*/\"");
  EXPECT_EQ(sig("/*!50700 SET @x = 1 */"), "word:SET uvar:@x punct:= number:1");
  EXPECT_EQ(sig("/*!99999 a */ /*!00000 b */"), "word:a word:b");
  EXPECT_EQ(sig("/*!5070 a */"), "number:5070 word:a");
  EXPECT_EQ(sig("/*M!50700 a */ /*M!*/"), "word:a");
  EXPECT_EQ(sig("/*!40101 a */ -- c\n b"), "word:a word:b");
  EXPECT_EQ(sig("/*!40101 a -- c\n */"), "word:a");
}

TEST(Tokenize, IntroducersBeforeOtherLiterals) {
  // An introducer makes one token only with a quoted string; before a hex or
  // bit literal the server reads it as a separate token.
  EXPECT_EQ(sig("_binary X'41'"), "word:_binary hex:X'41'");
  EXPECT_EQ(sig("_utf8mb4 b'1'"), "word:_utf8mb4 bit:b'1'");
  EXPECT_EQ(sig("_utf8mb4\n\t'x'"), "string:_utf8mb4\n\t'x'");
  EXPECT_EQ(sig("_utf8mb4'a\\'b'", {.no_backslash_escapes = true}),
            "string:_utf8mb4'a\\' unterminated:b'");
  EXPECT_EQ(string_value(one("_latin1'a\\nb'")), "a\nb");
  EXPECT_EQ(string_value(one("_latin1'a\\nb'", {.no_backslash_escapes = true}),
                         {.no_backslash_escapes = true}),
            "a\\nb");
}

TEST(Tokenize, EmptyAndUnusualHexAndBitLiterals) {
  EXPECT_EQ(sig("X'' B'' x'ABC'"), "hex:X'' bit:B'' hex:x'ABC'");
  EXPECT_EQ(sig("X'\\' 'y'"), "hex:X'\\' string:'y'");  // no escapes in a hex literal
  EXPECT_EQ(sig("0x0A'b'"), "hex:0x0A string:'b'");
  EXPECT_EQ(sig("0b2 b'2'"), "word:0b2 bit:b'2'");
  EXPECT_EQ(all("B'01"), "unterminated:B'01");
}

TEST(SplitStatements, FollowsTheModes) {
  EXPECT_EQ(split_statements("SELECT 'a\\'; SELECT 2").size(), 1u);
  EXPECT_EQ(split_statements("SELECT 'a\\'; SELECT 2", {.no_backslash_escapes = true}).size(), 2u);
  auto parts = split_statements("SELECT \"a;b\"; SELECT `c;d` # ;\n", {.ansi_quotes = true});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], "SELECT \"a;b\"");
  EXPECT_EQ(parts[1], "SELECT `c;d`");
  EXPECT_EQ(split_statements("SELECT 1 --;\n").size(), 1u);
  EXPECT_EQ(split_statements("SELECT 1 --; SELECT 2").size(), 2u);
}

TEST(ForEachSignificantToken, VisitsWhatSignificantTokensReturns) {
  for (std::string_view s :
       {"SELECT 1", "/*!40101 SET x=1 */; /*M!100100 a /*! b */ c */ d", "/*! open 'x", "'open",
        "a -- c\n#d\n/* e */ f", "t.1e5 /*!t.1e5*/", ""}) {
    for (LexOptions o : {LexOptions{}, LexOptions{true, true}}) {
      std::vector<Token> visited;
      for_each_significant_token(s, o, [&](const Token& t) { visited.push_back(t); });
      EXPECT_EQ(render(visited), render(significant_tokens(s, o))) << s;
    }
  }
}

}  // namespace
}  // namespace gp::sql
