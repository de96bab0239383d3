// Text-protocol result sets as values, and their encoding. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.h"
#include "mysql/messages.h"
#include "mysql/protocol.h"

namespace gp::mysql {

struct Column {
  std::string name;
  ColumnType type = ColumnType::kVarString;
  uint16_t charset = charset::kUtf8mb4GeneralCi;  // kBinary for numbers and BLOBs
  uint32_t length = 0;                            // display length
  uint16_t flags = 0;
  uint8_t decimals = 0;
  std::string table;
  std::string schema;

  static Column text(std::string name);    // VAR_STRING utf8mb4
  static Column blob(std::string name);    // BLOB binary
  static Column bigint(std::string name);  // LONGLONG binary
  static Column dbl(std::string name);     // DOUBLE binary, decimals 31
};

using Row = std::vector<std::optional<std::string>>;  // std::nullopt is SQL NULL

struct ResultSet {
  std::vector<Column> columns;
  std::vector<Row> rows;
  uint16_t warnings = 0;
  // Of a statement without a result set (its OK): what UPDATE changed.
  uint64_t affected_rows = 0;
};

// What a statement answered locally produces: an OK or a result set.
using QueryResult = std::variant<OkPacket, ResultSet>;

std::string encode_column_definition(const Column& c);
std::string encode_text_row(const Row& row);

// Appends every packet of `rs` to `out` starting at sequence id `seq`:
// column count, definitions, EOF (unless DEPRECATE_EOF), rows, and the final
// EOF or OK (0xfe) carrying `status_flags`.
void append_resultset(std::string& out, uint8_t& seq, const ResultSet& rs, uint32_t capabilities,
                      uint16_t status_flags);

// The two ends of a result set, shared by the text and binary encoders:
// the column count, definitions and (without DEPRECATE_EOF) EOF; and the final
// EOF or OK (0xfe). A result without columns is written as an OK by the head,
// which then returns false: there are no rows and no end.
bool append_resultset_head(std::string& out, uint8_t& seq, const ResultSet& rs,
                           uint32_t capabilities, uint16_t status_flags);
void append_resultset_end(std::string& out, uint8_t& seq, const ResultSet& rs,
                          uint32_t capabilities, uint16_t status_flags);

// Appends the packets of either result; an OkPacket's status flags are
// replaced by `status_flags`.
void append_query_result(std::string& out, uint8_t& seq, const QueryResult& result,
                         uint32_t capabilities, uint16_t status_flags);

// Client side: the column count packet and the column definitions.
Result<uint64_t> parse_column_count(std::string_view payload);
Result<Column> parse_column_definition(std::string_view payload);
Result<Row> parse_text_row(std::string_view payload, size_t column_count);

}  // namespace gp::mysql
