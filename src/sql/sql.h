// The one SQL tokenizer of the proxy, and what is built on it. Every module
// that reads SQL text uses these functions; none keeps its own scanner. Pure:
// no I/O, no global state, safe to call from any thread.
//
// The lexical rules are MySQL's (sql_lex.cc), with MariaDB's additions:
//  - `-- ` starts a comment only when the second dash is followed by white
//    space, a control character or the end of the text (`--x` is two minus
//    signs); `#` comments run to the end of the line; block comments do not
//    nest.
//  - `/*!` and `/*M!` (MariaDB) open an executable comment, optionally
//    followed by a version of 5 digits (a sixth digit is read too, as
//    MariaDB does for 10.x versions). Its content is SQL: quotes inside it are
//    strings, and it ends at the first `*/` outside a token. A nested `/*!`
//    marker inside one is part of the same comment (the server reads it the
//    same way); a plain comment inside one is a comment.
//  - Strings: '...' always, "..." unless ANSI_QUOTES; a quote is escaped by
//    doubling it, and a backslash escapes the next byte unless
//    NO_BACKSLASH_ESCAPES. A charset introducer (`_utf8mb4'x'`, `_latin1 'x'`
//    with white space between) and the N prefix (`N'x'`, no space) belong to
//    the string's token. Adjacent literals ('a' 'b') are separate tokens.
//  - Identifiers are runs of [A-Za-z0-9_$] and bytes >= 0x80; a run that
//    starts with digits is an identifier unless it is a number (`1abc`,
//    `1e`, `0x1g` and `0X1F` are identifiers). After `name.` the next run is
//    an identifier even if it is all digits (`t.1e5` is t . 1e5).
//  - Numbers: 1, 1.5, .5, 1., 1e10, 1.5E-3; `0x1F` and X'1F' are hex
//    literals, `0b01` and B'01' bit literals (the 0x and 0b forms are lower
//    case only, as in MySQL).
//  - `@name` (letters, digits, `_`, `$`, `.`, bytes >= 0x80), `@'name'`,
//    `@"name"` and @`name` are user variables; `@@name`, `@@scope.name` and
//    the back-quoted forms are system variables.
// Tokens are byte ranges of the input; the tokenizer never fails: what the
// server would reject still becomes tokens (a stray byte is a kPunct token,
// a quote or block comment that never closes is kUnterminated).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "mysql/resultset.h"

namespace gp::sql {

// The sql_mode flags that change how text is tokenized.
struct LexOptions {
  bool no_backslash_escapes = false;  // NO_BACKSLASH_ESCAPES
  bool ansi_quotes = false;           // ANSI_QUOTES: "x" is an identifier
};

enum class TokenKind {
  kWhitespace,
  kComment,            // -- , #, and block comments that are not executable
  kExecutableComment,  // the whole /*! ... */ or /*M! ... */
  kWord,               // unquoted identifier or keyword
  kQuotedIdentifier,   // `x`, or "x" under ANSI_QUOTES
  kString,             // '...' or "..." with an optional _charset introducer or N prefix
  kNumber,             // 1, 1.5, .5, 1e10
  kHexLiteral,         // X'0A' and 0x0A
  kBitLiteral,         // B'01' and 0b01
  kParameter,          // ?
  kUserVariable,       // @x, @'x', @`x`
  kSystemVariable,     // @@x, @@session.x, @@global.x
  kPunct,              // one operator or punctuation mark (multi-byte operators are one token)
  kUnterminated,       // a quote or block comment that never closes: the rest of the text
};

struct Token {
  TokenKind kind;
  std::string_view text;  // a view into the tokenized text
  size_t offset;          // byte offset of `text` in the tokenized text
};

// Every token of `sql`, in order; their texts concatenated are exactly `sql`.
// Multi-byte operators that are one token: <=> <= >= <> != := || && << >> -> ->>.
std::vector<Token> tokenize(std::string_view sql, LexOptions options = {});

// The tokens the server parses: no white space or comments, and the content of
// executable comments tokenized in place (their markers and closing `*/`
// dropped). The version condition of `/*!NNNNN` is taken as true: the proxy
// reads such comments as the servers it fronts do for every version they
// claim (mysqldump's `/*!40101 ... */`), whatever the backend is.
std::vector<Token> significant_tokens(std::string_view sql, LexOptions options = {});

// The statements of a multi-statement text: `sql` split at each `;` token
// (never one inside a string, identifier or comment; nor one inside an
// executable comment, which stays whole). Each piece runs from its first to
// its last significant token, without the `;`; pieces that hold only white
// space and comments are left out.
std::vector<std::string_view> split_statements(std::string_view sql, LexOptions options = {});

// The value of a kString token: introducer and quotes removed, the doubled
// quote decoded, and unless `options.no_backslash_escapes` MySQL's escapes:
// \0 \' \" \b \n \r \t \Z \\ and any other \x is x, except \% and \_, which
// keep their backslash (so that LIKE patterns stay exact). The bytes are
// returned as they are (no character set conversion). A token of another
// kind yields its text unchanged.
std::string string_value(const Token& token, LexOptions options = {});

// An SQL string literal that decodes back to `value` (under `options`), for
// any bytes: '...' with ' doubled and, unless NO_BACKSLASH_ESCAPES, \ NUL
// LF CR and Ctrl-Z escaped.
std::string quote_string(std::string_view value, LexOptions options = {});

// The name an identifier token stands for: a kWord as written, a quoted
// identifier without its quotes and with the doubled quote decoded. A token
// of another kind yields its text unchanged.
std::string identifier_value(const Token& token);

// Whether `token` is a kWord equal to `keyword` in ASCII case-insensitive
// comparison.
bool is_word(const Token& token, std::string_view keyword);

// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);

// `s` with ASCII letters in lower case (names of variables, tables, keywords).
std::string ascii_lower(std::string_view s);

// The normalised pattern of a statement, as ProxySQL's query digests: every
// literal (string, number, hex, bit) becomes `?`, comments go, white space
// becomes one space. In the JSON of a GENAI: statement a string followed by
// `:` is a key and stays. `digest_hash` is a 64-bit hash of that text, as
// ProxySQL prints it ("0x" and 16 hex digits).
std::string digest_text(std::string_view sql, LexOptions options = {});
std::string digest_hash(std::string_view digest_text);

// ---------------------------------------------------------------------------
// AI functions in ordinary SQL (SPEC-SQL, docs/SQL.md): GENAI_EMBED,
// GENAI_EMBED_BINARY and GENAI_RERANK found in one statement, and what the
// proxy must compute and replace before the statement reaches a backend.

enum class AiFunction { kEmbed, kEmbedBinary, kRerank };
std::string_view ai_function_name(AiFunction function);  // "GENAI_EMBED", ...

// Whether `sql` contains "genai_" in any case: statements without it are
// forwarded without being tokenized.
bool mentions_ai_functions(std::string_view sql);

struct AiArgument {
  enum class Kind {
    kConstant,   // literals ('a' 'b', _utf8mb4'x', X'..', 0x.., numbers) or NULL
    kParameter,  // `?` of a prepared statement
    kRow,        // anything else: a column or an expression over the row
  };
  Kind kind = Kind::kConstant;
  std::optional<std::string> value;  // kConstant: the text (utf8mb4), std::nullopt for NULL
  size_t parameter = 0;              // kParameter: its index among the statement's `?`
  size_t begin = 0, end = 0;         // byte range in the statement
};

struct AiCall {
  AiFunction function = AiFunction::kEmbed;
  size_t begin = 0, end = 0;  // byte range of the call, name through `)`
  // GENAI_EMBED*: {text}; GENAI_RERANK: {query, document}.
  std::vector<AiArgument> arguments;
  std::optional<std::string> model;  // the optional model argument
  // Set when the call is a whole item of the top-level select list.
  bool item = false;
  size_t item_begin = 0, item_end = 0;  // the item: the call and its alias
  std::string column_name;              // the alias, or the call as written
  // The item's result column: its position counted from the first column,
  // or (after a `*` item) from the last one.
  size_t column = 0;
  bool column_from_end = false;

  // A row call is computed on the rows the backend returns.
  bool row() const;
};

// The proxy's own ORDER BY <computed column> [ASC|DESC] [LIMIT ...], cut
// from the forwarded statement.
struct AiOrder {
  size_t call = 0;  // index into AiStatement::calls
  bool descending = false;
  std::optional<uint64_t> limit;
  uint64_t offset = 0;
  size_t begin = 0;  // where the clause starts; it runs to the statement's end
};

// A select-list item of a statement without FROM (answered by the proxy).
struct AiLocalItem {
  std::optional<size_t> call;        // a call, or else a literal:
  std::optional<std::string> value;  // its value (std::nullopt: NULL)
  bool number = false;               // a numeric literal
  std::string column_name;
};

struct AiStatement {
  std::vector<AiCall> calls;  // in text order
  size_t parameters = 0;      // the statement's `?`
  std::vector<size_t> parameter_offsets;
  std::optional<AiOrder> order;
  // A SELECT without FROM whose items are literals and calls of constants:
  // the proxy answers it without a backend.
  std::optional<std::vector<AiLocalItem>> local;
  // Unaliased items of the top-level select list that contain a call but
  // are more than the call (`emb = GENAI_EMBED('x')`): byte ranges, so that
  // the forwarded item keeps its text as its column name.
  std::vector<std::pair<size_t, size_t>> unaliased_items;
  bool has_row_calls() const;
};

// Finds the calls of one statement (split multi-statement text first) and
// checks where they are: a row argument only in an item of the top-level
// select list, GENAI_RERANK's query a constant or parameter, the model a
// string constant, no call inside another. Errors are 9101 naming the
// function and the call's byte offset.
// With `shape_only`, a statement without calls is still read for `local`.
Result<AiStatement> find_ai_functions(std::string_view sql, LexOptions options = {},
                                      bool shape_only = false);

// A literal for a forwarded statement: a JSON vector as a string, float32
// bytes as X'..', a score as a DOUBLE literal (1.25e0: never read as DECIMAL).
std::string double_literal(double value);
std::string hex_literal(std::string_view bytes);

// `sql` with the byte ranges replaced (ranges in increasing order, not overlapping).
struct Replacement {
  size_t begin = 0, end = 0;
  std::string text;
};
std::string replace_ranges(std::string_view sql, const std::vector<Replacement>& replacements);

// ---------------------------------------------------------------------------
// Statements a driver sends at connect time, answered without a server.
// docs/SESSION_QUERIES.md lists them and the variable table.

// What the proxy advertises as the server's global variables.
struct SessionDefaults {
  std::string version;  // advertised server version, e.g. "10.11.6-MariaDB" or "8.0.36"
  std::string version_comment = "genaiproxy";
  uint64_t max_allowed_packet = 67108864;
  std::string character_set = "utf8mb4";
  std::string collation = "utf8mb4_general_ci";
  bool autocommit = true;
  bool have_ssl = false;
  std::string system_time_zone;  // the machine's zone name, e.g. "UTC"
  std::string hostname;          // the machine's host name
  uint16_t port = 6033;          // the port the client connected to
};

// The system variables of one session. Keys are lower-case names without the
// @@ and scope; values are as SHOW VARIABLES prints them (booleans ON/OFF,
// numbers in decimal); std::nullopt is SQL NULL. A variable is known exactly
// when it is a key of `global`. Which variables exist and their defaults
// depend on whether `version` names MariaDB or MySQL.
struct SessionVariables {
  std::map<std::string, std::optional<std::string>> values;  // session scope
  std::map<std::string, std::optional<std::string>> global;  // what DEFAULT restores
  static SessionVariables defaults(const SessionDefaults& d);
};

// The lexical options the session's sql_mode implies (ANSI_QUOTES,
// NO_BACKSLASH_ESCAPES, alone or through ANSI and the other combined modes).
LexOptions lex_options(const SessionVariables& vars);

struct SessionInfo {
  std::string user;
  std::string host;      // the client's address, as USER() shows it
  std::string database;  // empty: none
  uint32_t connection_id = 0;
};

// The outcome of a statement answered locally: the answer, and what the
// caller must apply to the session's state.
struct LocalAnswer {
  mysql::QueryResult result;        // OkPacket or ResultSet; status flags are the caller's
  bool autocommit_changed = false;  // the statement changed @@autocommit (vars has the new value)
  enum class Transaction { kNone, kBegin, kCommit, kRollback } transaction = Transaction::kNone;
  std::optional<std::string> use_database;  // USE: the caller checks and switches
};

// Answers `sql` when it is one of the statements drivers send at connect time
// and the answer follows exactly from `vars` and `info`; SET updates `vars`
// (all assignments or none). Returns std::nullopt when the statement is not
// one of them (the caller forwards it or reports that it needs a backend).
// An Error is for a statement of that kind that the server would reject, with
// the server's code and message (1193 unknown variable, 1231 bad value, 1232
// bad type, 1229/1238/1621 wrong scope or read-only, 1115/1273/1253 bad
// character set or collation). `sql` is read under lex_options(vars).
Result<std::optional<LocalAnswer>> answer_session_query(std::string_view sql,
                                                        SessionVariables& vars,
                                                        const SessionInfo& info);

}  // namespace gp::sql

// ---------------------------------------------------------------------------
// Reading a text once without keeping its tokens (for statements of any
// size on the forwarding path).

#include <functional>

namespace gp::sql {

// Calls `visit` with each token significant_tokens(sql, options) would
// return, in the same order, without building the vector.
void for_each_significant_token(std::string_view sql, LexOptions options,
                                const std::function<void(const Token&)>& visit);

}  // namespace gp::sql
