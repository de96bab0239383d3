// Prepared statements in the binary protocol: the answer to COM_STMT_PREPARE,
// the COM_STMT_* commands, and binary result sets. Pure: the proxy's
// statement bookkeeping (ids, bound types, long data) lives with the session
// and is passed in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "mysql/protocol.h"
#include "mysql/resultset.h"

namespace gp::mysql {

// Server side, answering COM_STMT_PREPARE.
struct PrepareOk {
  uint32_t statement_id = 0;
  std::vector<Column> params;   // one definition per '?'; count = params.size()
  std::vector<Column> columns;  // may be empty when the columns are unknown until execution
  uint16_t warnings = 0;
  uint16_t status_flags = 0;  // carried by the EOFs that end the definition blocks
};

// The definition MySQL sends for each parameter: name "?", VAR_STRING, binary.
Column param_column();

// Appends COM_STMT_PREPARE_OK, the parameter definitions and the column
// definitions, each non-empty block followed by an EOF unless the client has
// CLIENT_DEPRECATE_EOF. Precondition: at most 65535 params and columns.
void append_prepare_ok(std::string& out, uint8_t& seq, const PrepareOk& ok, uint32_t capabilities);

// Client side: the first packet of a COM_STMT_PREPARE answer (0x00 header).
// The warning count is optional on the wire (0 when absent), as libmysql reads it.
struct PrepareOkHeader {
  uint32_t statement_id;
  uint16_t num_columns;
  uint16_t num_params;
  uint16_t warnings;
};
Result<PrepareOkHeader> parse_prepare_ok_header(std::string_view payload);

// The statement id of COM_STMT_EXECUTE / SEND_LONG_DATA / CLOSE / RESET /
// FETCH payloads (command byte included); an error for any other command or a
// payload too short to hold an id. MariaDB lets 0xffffffff mean "the statement
// prepared last"; it is returned as is.
Result<uint32_t> statement_id_of(std::string_view command_payload);
// Rewrites that id in place (a proxy maps client ids to backend ids).
// Precondition: command_payload.size() >= 5.
void set_statement_id(std::string& command_payload, uint32_t id);
// Same for the first packet of a prepare answer (rewrites the id a backend
// chose). Precondition: payload.size() >= 5.
void set_prepare_ok_statement_id(std::string& payload, uint32_t id);

// A bound parameter value as the client sent it.
struct ParamValue {
  enum class Kind { kNull, kSigned, kUnsigned, kDouble, kString, kBytes, kTemporal };
  Kind kind = Kind::kNull;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  // kString / kBytes: the bytes; kTemporal: "YYYY-MM-DD" for DATE,
  // "YYYY-MM-DD hh:mm:ss[.ffffff]" for DATETIME / TIMESTAMP,
  // "[-][D ]hh:mm:ss[.ffffff]" for TIME (the fraction only when not zero).
  std::string text;
  ColumnType type = ColumnType::kNull;  // the wire type the client bound
};

struct ParamType {
  ColumnType type = ColumnType::kVarString;
  bool is_unsigned = false;
};

// COM_STMT_EXECUTE.
struct ExecuteRequest {
  uint32_t statement_id = 0;
  uint8_t flags = 0;             // cursor type
  std::vector<ParamType> types;  // as sent, or `previous_types` when not re-sent
  std::vector<ParamValue> params;
};

// Parses COM_STMT_EXECUTE (payload incl. command byte) from an untrusted
// client: any truncation, unknown parameter type or trailing byte is an error.
// `num_params` comes from the prepare; `previous_types` are the types bound by
// the last execute of this statement, used when new-params-bound-flag is 0 (an
// error when there are none: the types were never sent). `long_data[i]` holds
// data sent with COM_STMT_SEND_LONG_DATA for parameter i since the last
// execute/reset: when set, it is that parameter's value (kBytes for BLOB, BIT
// and GEOMETRY types, kString otherwise) and the packet holds neither a value
// nor a meaningful NULL bit for it. Values: integer types as kSigned or
// kUnsigned (flag 0x80), FLOAT/DOUBLE as kDouble, temporal types as kTemporal,
// DECIMAL and string types as kString, BLOB (0xf9-0xfc), BIT and GEOMETRY as
// kBytes, type NULL as kNull. The iteration count is read and ignored.
Result<ExecuteRequest> parse_execute(std::string_view payload, uint16_t num_params,
                                     const std::vector<ParamType>& previous_types,
                                     const std::vector<std::optional<std::string>>& long_data);

// Client side: a COM_STMT_EXECUTE (payload incl. command byte, no cursor,
// types always sent) for values like those parse_execute returns. Integers
// go as LONGLONG, doubles as DOUBLE, kBytes with their bound type (BLOB by
// default), DECIMAL strings as NEWDECIMAL, every other value as a string
// (VAR_STRING: the server converts temporal text as it converts literals).
std::string encode_execute(uint32_t statement_id, const std::vector<ParamValue>& params);

// COM_STMT_SEND_LONG_DATA. `data` points into `payload`.
struct LongData {
  uint32_t statement_id;
  uint16_t param_id;
  std::string_view data;
};
Result<LongData> parse_send_long_data(std::string_view payload);

// Binary result sets (the answer to COM_STMT_EXECUTE). Values in Row are text
// as in the text protocol ("42", "0.125", "2024-01-02 03:04:05",
// "-838:59:59"); the encoder converts by column type: TINY 1 byte, SHORT/YEAR
// 2, LONG/INT24 4, LONGLONG 8 (signed or unsigned per column_flag::kUnsigned,
// range-checked), FLOAT 4, DOUBLE 8 (little-endian IEEE), DATE/DATETIME/
// TIMESTAMP/TIME in MySQL's binary temporal format (shortest length form; TIME
// also accepts "[-]D hh:mm:ss"), DECIMAL/NEWDECIMAL length-encoded after a
// syntax check, everything else length-encoded bytes. NULLs go in the NULL
// bitmap (offset 2). A value that does not parse for its column type is an
// error naming the column, and so is a row of another size than `columns`.
Result<std::string> encode_binary_row(const Row& row, const std::vector<Column>& columns);

// Column count, definitions, EOF (unless DEPRECATE_EOF), binary rows, and the
// final EOF or OK (0xfe) carrying `status_flags`: the binary twin of
// append_resultset (and, like it, an OK for a result without columns). On a
// row encoding error returns the error and leaves `out` and `seq` unchanged.
Result<void> append_binary_resultset(std::string& out, uint8_t& seq, const ResultSet& rs,
                                     uint32_t capabilities, uint16_t status_flags);

// Client side, for tests and for the proxy reading backend answers: a binary
// row back into text-protocol values. Floating-point values come back as the
// shortest text that reads as the same number; fractional seconds are printed
// to the column's `decimals` (1..6), or as six digits when not zero otherwise.
Result<Row> parse_binary_row(std::string_view payload, const std::vector<Column>& columns);

}  // namespace gp::mysql
