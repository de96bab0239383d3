// Errors are values: every failure that reaches a client becomes a MySQL ERR
// packet built from one of these.
//
// The one error vocabulary: every code the proxy itself raises is a row of
// kErrorTable (code, SQLSTATE, symbolic name, meaning), and an Error with
// such a code is built only by make_error / Error::make, which take the
// SQLSTATE from the table, so a code has exactly one SQLSTATE. Modules may
// wrap these in helpers that fix a message's shape (genai::invalid_request
// prefixes "GENAI: "), never its SQLSTATE. Errors relayed from a backend
// server keep the server's own code and SQLSTATE: they are parsed
// (mysql::parse_err), not built here. docs/ERRORS.md is this table for users;
// tests/unit/core/errors_test.cpp keeps the two, and every other docs table
// that gives a code and SQLSTATE, in agreement.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace gp {

namespace errc {
// The codes of kErrorTable, nothing else. Unscoped, so that a code compares
// with Error::code as it is; make_error takes a Code, so a bare number does
// not slip in.
enum Code : uint16_t {
  kTooManyConnections = 1040,
  kHandshakeError = 1043,
  kAccessDenied = 1045,
  kUnknownCommand = 1047,
  kBadDatabase = 1049,
  kServerShutdown = 1053,
  kParseError = 1064,
  kUnknownError = 1105,
  kUnknownCharacterSet = 1115,
  kTableAccessDenied = 1142,
  kNoSuchTable = 1146,
  kNotAllowedCommand = 1148,
  kNetPacketTooLarge = 1153,
  kUnknownSystemVariable = 1193,
  kGlobalVariable = 1229,
  kWrongValueForVar = 1231,
  kWrongTypeForVar = 1232,
  kNotSupported = 1235,
  kIncorrectScope = 1238,
  kUnknownStatementHandler = 1243,
  kCollationMismatch = 1253,
  kUnknownCollation = 1273,
  kVariableIsReadonly = 1621,
  kMalformedPacket = 1835,
  kBackendLost = 2013,
  kBackendMalformedPacket = 2027,
  kQueryTimeout = 3024,
  kBackendUnavailable = 9001,
  kGenaiInvalidRequest = 9101,
  kGenaiServiceUnreachable = 9102,
  kGenaiServiceTimeout = 9103,
  kGenaiServiceError = 9104,
  kGenaiInvalidAnswer = 9105,
  kGenaiUnavailable = 9106,
  kGenaiOverloaded = 9107,
  kGenaiCancelled = 9108,
  kGenaiAccessDenied = 9109,
  kGenaiQuotaExceeded = 9110,
  kGenaiInputTooLong = 9111,
};
}  // namespace errc

struct ErrorInfo {
  errc::Code code;
  std::string_view sqlstate;  // five characters
  // MySQL's ER_/CR_ name for a MySQL code (the SQLSTATE is then MySQL's own);
  // GP_ and GENAI_ name the proxy's own codes.
  std::string_view name;
  std::string_view meaning;  // one line, as docs/ERRORS.md shows it
};

// Ordered by code; one row per errc::Code.
inline constexpr ErrorInfo kErrorTable[] = {
    {errc::kTooManyConnections, "08004", "ER_CON_COUNT_ERROR",
     "Too many connections: mysql-max_connections clients are connected; sent in place of the "
     "greeting"},
    {errc::kHandshakeError, "08S01", "ER_HANDSHAKE_ERROR",
     "Bad handshake: the client's handshake response cannot be read or is refused (TLS where "
     "there is none, a client older than protocol 4.1), or the client went away during login"},
    {errc::kAccessDenied, "28000", "ER_ACCESS_DENIED_ERROR",
     "Access denied: unknown user or wrong password, or a backend login the proxy cannot perform "
     "(authentication plugin, stored password hash)"},
    {errc::kUnknownCommand, "08S01", "ER_UNKNOWN_COM_ERROR",
     "a protocol command the proxy does not support (COM_BINLOG_DUMP, an unknown command byte)"},
    {errc::kBadDatabase, "42000", "ER_BAD_DB_ERROR",
     "unknown schema on the admin interface (SHOW TABLES FROM)"},
    {errc::kServerShutdown, "08S01", "ER_SERVER_SHUTDOWN", "the proxy is shutting down"},
    {errc::kParseError, "42000", "ER_PARSE_ERROR",
     "an admin statement that does not parse; more than 65535 '?' parameters"},
    {errc::kUnknownError, "HY000", "ER_UNKNOWN_ERROR",
     "a failure with no code of its own: SQLite's error or a refused statement on the admin "
     "interface, a configuration file, a listener that cannot bind, a value that does not fit "
     "its column"},
    {errc::kUnknownCharacterSet, "42000", "ER_UNKNOWN_CHARACTER_SET",
     "Unknown character set: SET NAMES, SET CHARACTER SET, character_set_*"},
    {errc::kTableAccessDenied, "42000", "ER_TABLEACCESS_DENIED_ERROR",
     "the stats login (admin-stats_credentials) names a table outside the stats schema, or a "
     "statement that changes or loads configuration"},
    {errc::kNoSuchTable, "42S02", "ER_NO_SUCH_TABLE",
     "unknown table on the admin interface (SHOW CREATE TABLE)"},
    {errc::kNotAllowedCommand, "42000", "ER_NOT_ALLOWED_COMMAND",
     "LOAD DATA LOCAL INFILE: a server asked for a file; it was sent an empty one"},
    {errc::kNetPacketTooLarge, "08S01", "ER_NET_PACKET_TOO_LARGE",
     "a packet over 64 KiB before login or over mysql-max_allowed_packet after it; the "
     "connection is closed"},
    {errc::kUnknownSystemVariable, "HY000", "ER_UNKNOWN_SYSTEM_VARIABLE",
     "Unknown system variable: SET or SELECT @@ of a variable the proxy (or the admin "
     "interface) does not have"},
    {errc::kGlobalVariable, "HY000", "ER_GLOBAL_VARIABLE",
     "SET of a global-only variable: it should be set with SET GLOBAL"},
    {errc::kWrongValueForVar, "42000", "ER_WRONG_VALUE_FOR_VAR",
     "Variable can't be set to the value: outside its choices or range; an invalid listen "
     "address; an unset env: variable"},
    {errc::kWrongTypeForVar, "42000", "ER_WRONG_TYPE_FOR_VAR",
     "Incorrect argument type to variable: a string or a fraction for an integer variable"},
    {errc::kNotSupported, "42000", "ER_NOT_SUPPORTED_YET",
     "not supported by genaiproxy: cursors (COM_STMT_EXECUTE with a cursor type, "
     "COM_STMT_FETCH)"},
    {errc::kIncorrectScope, "HY000", "ER_INCORRECT_GLOBAL_LOCAL_VAR",
     "a read-only variable, or @@session./@@global. of a variable without that scope"},
    {errc::kUnknownStatementHandler, "HY000", "ER_UNKNOWN_STMT_HANDLER",
     "Unknown prepared statement handler: a statement command for an id this session did not "
     "prepare"},
    {errc::kCollationMismatch, "42000", "ER_COLLATION_CHARSET_MISMATCH",
     "COLLATION is not valid for CHARACTER SET (SET NAMES cs COLLATE coll)"},
    {errc::kUnknownCollation, "HY000", "ER_UNKNOWN_COLLATION",
     "Unknown collation: collation_*, SET NAMES ... COLLATE"},
    {errc::kVariableIsReadonly, "HY000", "ER_VARIABLE_IS_READONLY",
     "SESSION variable is read-only: max_allowed_packet, net_buffer_length"},
    {errc::kMalformedPacket, "HY000", "ER_MALFORMED_PACKET",
     "Malformed packet: a client packet that cannot be decoded (empty command, truncated "
     "prepared-statement message)"},
    {errc::kBackendLost, "HY000", "CR_SERVER_LOST",
     "the session ends: its backend connection died mid-result or with the session's state; "
     "the client's library reports it when the proxy closes the connection"},
    {errc::kBackendMalformedPacket, "HY000", "CR_MALFORMED_PACKET",
     "Malformed packet from backend: a server's answer that cannot be decoded; the connection "
     "is closed"},
    {errc::kQueryTimeout, "HY000", "ER_QUERY_TIMEOUT",
     "Query execution was interrupted: the statement exceeded mysql-default_query_timeout; the "
     "proxy KILLs it on the server"},
    {errc::kBackendUnavailable, "HY000", "GP_BACKEND_UNAVAILABLE",
     "no backend server can take the statement: none in the hostgroup, all SHUNNED/OFFLINE or "
     "unreachable, max_connections reached, or the connection was lost before any answer"},
    {errc::kGenaiInvalidRequest, "42000", "GENAI_INVALID_REQUEST",
     "invalid GENAI: request: not JSON, unknown/missing/duplicate key, wrong type, a limit "
     "exceeded; the message names the key and the rule"},
    {errc::kGenaiServiceUnreachable, "HY000", "GENAI_SERVICE_UNREACHABLE",
     "embedding/rerank service unreachable: connection refused, DNS, TLS"},
    {errc::kGenaiServiceTimeout, "HY000", "GENAI_SERVICE_TIMEOUT",
     "embedding/rerank service timed out (genai-embedding_timeout_ms, genai-rerank_timeout_ms)"},
    {errc::kGenaiServiceError, "HY000", "GENAI_SERVICE_ERROR",
     "the service answered an HTTP status outside 2xx; the message gives its own message"},
    {errc::kGenaiInvalidAnswer, "HY000", "GENAI_INVALID_ANSWER",
     "the service's answer is not one the proxy can use (not JSON, wrong shape or count, "
     "non-finite number)"},
    {errc::kGenaiUnavailable, "HY000", "GENAI_UNAVAILABLE",
     "GenAI module unavailable: the engine is stopped, or disabled (genai-enabled=false)"},
    {errc::kGenaiOverloaded, "HY000", "GENAI_OVERLOADED",
     "overloaded: genai-max_queue requests are already in progress; retry later"},
    {errc::kGenaiCancelled, "HY000", "GENAI_CANCELLED",
     "request cancelled: the client went away while its request was in flight"},
    {errc::kGenaiAccessDenied, "42000", "GENAI_ACCESS_DENIED",
     "denied: the model has grants (genai_model_grants) and none for this MySQL user"},
    {errc::kGenaiQuotaExceeded, "HY000", "GENAI_QUOTA_EXCEEDED",
     "over quota: the user's max_requests_per_minute or max_documents_per_day for the model is "
     "used up; retry later"},
    {errc::kGenaiInputTooLong, "22001", "GENAI_INPUT_TOO_LONG",
     "a document is longer than the model accepts (its context size); the message names the "
     "document and the service's token counts"},
};

// The row of a proxy error code; nullptr for any other code (a server's).
constexpr const ErrorInfo* find_error(uint16_t code) {
  for (const auto& row : kErrorTable) {
    if (row.code == code) return &row;
  }
  return nullptr;
}

// The SQLSTATE of an error without a class of its own (MySQL's default).
inline constexpr std::string_view kGeneralSqlstate = "HY000";

constexpr std::string_view sqlstate_of(errc::Code code) {
  const ErrorInfo* row = find_error(code);
  return row ? row->sqlstate : kGeneralSqlstate;
}

struct Error {
  uint16_t code = 0;
  std::string sqlstate = std::string(kGeneralSqlstate);  // always five characters
  std::string message;

  // An error the proxy raises: the SQLSTATE is the code's, from kErrorTable.
  static Error make(errc::Code code, std::string message) {
    return Error{code, std::string(sqlstate_of(code)), std::move(message)};
  }
};

template <class T>
using Result = std::expected<T, Error>;

// Error::make, as the failure of a Result.
inline std::unexpected<Error> make_error(errc::Code code, std::string message) {
  return std::unexpected(Error::make(code, std::move(message)));
}

}  // namespace gp
