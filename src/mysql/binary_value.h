// Single values of the binary protocol, shared by prepared-statement
// parameters and binary result rows: MySQL's temporal wire format, and the
// text forms the text protocol uses for the same values. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mysql/packet.h"
#include "mysql/protocol.h"

namespace gp::mysql {

// How a value of each column type is laid out in the binary protocol.
enum class BinaryForm {
  kNone,  // type NULL: the value is only a bit in the NULL bitmap
  kInt1,
  kInt2,
  kInt4,
  kInt8,
  kFloat,
  kDouble,
  kDate,      // temporal, printed without a time
  kDateTime,  // DATETIME and TIMESTAMP
  kTime,
  kLengthEncoded,
};

// std::nullopt for the types servers use internally and never put on the
// wire (NEWDATE, the *2 temporal types) and for unassigned codes.
std::optional<BinaryForm> binary_form(ColumnType type);

// BLOB, BIT and GEOMETRY: types whose length-encoded values are bytes rather
// than text in some character set.
bool is_byte_type(ColumnType type);

// A DATE, DATETIME, TIMESTAMP or TIME as the binary protocol carries it.
// For a TIME, `days` and `negative` are used and the date fields are zero;
// for the others, `days` is zero and `negative` false.
struct Temporal {
  bool negative = false;
  uint32_t days = 0;
  uint16_t year = 0;
  uint8_t month = 0;
  uint8_t day = 0;
  uint8_t hour = 0;
  uint8_t minute = 0;
  uint8_t second = 0;
  uint32_t microsecond = 0;  // < 1000000
};

// Readers of a length-prefixed temporal value (length byte 0/4/7/11 for
// DATE/DATETIME/TIMESTAMP, 0/8/12 for TIME). std::nullopt on truncation, on
// another length, or on a microsecond count of a million or more.
std::optional<Temporal> read_binary_datetime(PayloadReader& r);
std::optional<Temporal> read_binary_time(PayloadReader& r);

// Writers in the shortest length form that holds `t` (all zero: length 0).
void put_binary_datetime(std::string& out, const Temporal& t);
void put_binary_time(std::string& out, const Temporal& t);

// Text forms. `decimals` is the column's fractional-second precision: 1..6
// prints that many digits; anything else prints six digits only when the
// microseconds are not zero (the precision is unknown).
std::string format_date(const Temporal& t);                    // YYYY-MM-DD
std::string format_datetime(const Temporal& t, int decimals);  // YYYY-MM-DD hh:mm:ss[.f]
// "[-]hh:mm:ss[.f]" with the days folded into the hours, as the text
// protocol prints a TIME; with `days_prefix`, "[-][D ]hh:mm:ss[.f]" instead.
std::string format_time(const Temporal& t, int decimals, bool days_prefix = false);

// Parsers of those text forms. A date alone is a datetime at midnight; the
// fraction has 1..6 digits. TIME accepts both "[-]h+:mm:ss" and
// "[-]D hh:mm:ss". std::nullopt when `s` is not such a value or a field is
// out of its range.
std::optional<Temporal> parse_datetime_text(std::string_view s);
std::optional<Temporal> parse_time_text(std::string_view s);

// The shortest text that reads back as the same double (or float), with the
// exponent written as MySQL writes it ("1e100", "1.5e-7").
std::string format_double(double v);
std::string format_float(float v);

}  // namespace gp::mysql
