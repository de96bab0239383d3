// The binary-protocol rows of prepared-statement results (declared in
// prepared.h).
#include <bit>
#include <charconv>
#include <cmath>
#include <type_traits>

#include "mysql/binary_value.h"
#include "mysql/messages.h"
#include "mysql/packet.h"
#include "mysql/prepared.h"

namespace gp::mysql {

namespace {

constexpr uint8_t kBinaryRowHeader = 0x00;
// The NULL bitmap of a binary row starts at bit 2: bits 0 and 1 are reserved
// (they once told a row from an OK and an EOF).
constexpr size_t kNullBitmapOffset = 2;

std::unexpected<Error> malformed(std::string_view what) {
  return make_error(errc::kMalformedPacket, "Malformed packet: " + std::string(what));
}

size_t null_bitmap_size(size_t columns) {
  return (columns + 7 + kNullBitmapOffset) / 8;
}

bool is_unsigned(const Column& c) {
  return (c.flags & column_flag::kUnsigned) != 0;
}

template <class T>
std::optional<T> parse_number(std::string_view s) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(v)) return std::nullopt;
  }
  return v;
}

// An integer of `bytes` bytes, range-checked for the column's signedness.
bool put_integer(std::string& out, std::string_view text, size_t bytes, bool unsigned_column) {
  uint64_t raw = 0;
  if (unsigned_column) {
    auto v = parse_number<uint64_t>(text);
    if (!v || (bytes < 8 && *v >> (8 * bytes) != 0)) return false;
    raw = *v;
  } else {
    auto v = parse_number<int64_t>(text);
    if (!v) return false;
    if (bytes < 8) {
      int64_t limit = int64_t{1} << (8 * bytes - 1);
      if (*v < -limit || *v >= limit) return false;
    }
    raw = static_cast<uint64_t>(*v);
  }
  for (size_t i = 0; i < bytes; ++i) out.push_back(static_cast<char>(raw >> (8 * i)));
  return true;
}

// [-+]digits[.digits] or [-+].digits: what DECIMAL values look like as text.
bool is_decimal_text(std::string_view s) {
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  size_t digits = 0;
  bool point = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      return false;
    }
  }
  return digits > 0;
}

bool put_binary_value(std::string& out, std::string_view text, const Column& c) {
  switch (binary_form(c.type).value_or(BinaryForm::kLengthEncoded)) {
    case BinaryForm::kNone:
      return false;
    case BinaryForm::kInt1:
      return put_integer(out, text, 1, is_unsigned(c));
    case BinaryForm::kInt2:
      return put_integer(out, text, 2, is_unsigned(c));
    case BinaryForm::kInt4:
      return put_integer(out, text, 4, is_unsigned(c));
    case BinaryForm::kInt8:
      return put_integer(out, text, 8, is_unsigned(c));
    case BinaryForm::kFloat: {
      auto v = parse_number<float>(text);
      if (!v) return false;
      put_int4(out, std::bit_cast<uint32_t>(*v));
      return true;
    }
    case BinaryForm::kDouble: {
      auto v = parse_number<double>(text);
      if (!v) return false;
      put_int8(out, std::bit_cast<uint64_t>(*v));
      return true;
    }
    case BinaryForm::kDate:
    case BinaryForm::kDateTime: {
      constexpr size_t kDateOnlyLength = 10;  // YYYY-MM-DD
      if (c.type == ColumnType::kDate && text.size() != kDateOnlyLength) return false;
      auto t = parse_datetime_text(text);
      if (!t) return false;
      put_binary_datetime(out, *t);
      return true;
    }
    case BinaryForm::kTime: {
      auto t = parse_time_text(text);
      if (!t) return false;
      put_binary_time(out, *t);
      return true;
    }
    case BinaryForm::kLengthEncoded:
      if ((c.type == ColumnType::kDecimal || c.type == ColumnType::kNewDecimal) &&
          !is_decimal_text(text)) {
        return false;
      }
      put_lenenc_str(out, text);
      return true;
  }
  return false;
}

std::optional<std::string> read_signed(std::optional<uint64_t> raw, int bits) {
  if (!raw) return std::nullopt;
  // Sign-extend from `bits`: the shifts move the value's sign bit to bit 63.
  return std::to_string(static_cast<int64_t>(*raw << (64 - bits)) >> (64 - bits));
}

std::optional<std::string> read_integer(std::optional<uint64_t> raw, int bits, const Column& c) {
  if (!raw) return std::nullopt;
  if (is_unsigned(c)) return std::to_string(*raw);
  return read_signed(raw, bits);
}

// One non-NULL value as text; std::nullopt when it is truncated or invalid.
std::optional<std::string> read_binary_value(PayloadReader& r, const Column& c) {
  switch (binary_form(c.type).value_or(BinaryForm::kLengthEncoded)) {
    case BinaryForm::kNone:
      return std::nullopt;
    case BinaryForm::kInt1:
      return read_integer(r.int1(), 8, c);
    case BinaryForm::kInt2:
      return read_integer(r.int2(), 16, c);
    case BinaryForm::kInt4:
      return read_integer(r.int4(), 32, c);
    case BinaryForm::kInt8:
      return read_integer(r.int8(), 64, c);
    case BinaryForm::kFloat: {
      auto raw = r.int4();
      if (!raw) return std::nullopt;
      return format_float(std::bit_cast<float>(*raw));
    }
    case BinaryForm::kDouble: {
      auto raw = r.int8();
      if (!raw) return std::nullopt;
      return format_double(std::bit_cast<double>(*raw));
    }
    case BinaryForm::kDate: {
      auto t = read_binary_datetime(r);
      if (!t) return std::nullopt;
      return format_date(*t);
    }
    case BinaryForm::kDateTime: {
      auto t = read_binary_datetime(r);
      if (!t) return std::nullopt;
      return format_datetime(*t, c.decimals);
    }
    case BinaryForm::kTime: {
      auto t = read_binary_time(r);
      if (!t) return std::nullopt;
      return format_time(*t, c.decimals);
    }
    case BinaryForm::kLengthEncoded: {
      auto s = r.lenenc_str();
      if (!s) return std::nullopt;
      return std::string(*s);
    }
  }
  return std::nullopt;
}

}  // namespace

Result<std::string> encode_binary_row(const Row& row, const std::vector<Column>& columns) {
  // ER_UNKNOWN_ERROR: a value the proxy itself produced does not fit its column.
  auto unencodable = [](std::string message) {
    return make_error(errc::kUnknownError, std::move(message));
  };
  if (row.size() != columns.size()) {
    return unencodable("Row of " + std::to_string(row.size()) + " values for " +
                       std::to_string(columns.size()) + " columns");
  }
  std::string out;
  put_int1(out, kBinaryRowHeader);
  size_t bitmap_at = out.size();
  out.append(null_bitmap_size(columns.size()), '\0');
  for (size_t i = 0; i < row.size(); ++i) {
    if (!row[i]) {
      size_t bit = i + kNullBitmapOffset;
      out[bitmap_at + bit / 8] = static_cast<char>(out[bitmap_at + bit / 8] | (1 << (bit % 8)));
      continue;
    }
    if (!put_binary_value(out, *row[i], columns[i])) {
      return unencodable("Value '" + *row[i] + "' does not fit column '" + columns[i].name +
                         "' of type " + std::to_string(static_cast<unsigned>(columns[i].type)));
    }
  }
  return out;
}

Result<void> append_binary_resultset(std::string& out, uint8_t& seq, const ResultSet& rs,
                                     uint32_t capabilities, uint16_t status_flags) {
  // Every row is encoded before anything is written, so that an error leaves
  // `out` and `seq` as they were.
  std::vector<std::string> rows;
  rows.reserve(rs.rows.size());
  for (const auto& row : rs.rows) {
    auto encoded = encode_binary_row(row, rs.columns);
    if (!encoded) return std::unexpected(std::move(encoded.error()));
    rows.push_back(std::move(*encoded));
  }
  if (!append_resultset_head(out, seq, rs, capabilities, status_flags)) return {};
  for (const auto& row : rows) append_packet(out, seq, row);
  append_resultset_end(out, seq, rs, capabilities, status_flags);
  return {};
}

Result<Row> parse_binary_row(std::string_view payload, const std::vector<Column>& columns) {
  PayloadReader r(payload);
  auto header = r.int1();
  if (!header || *header != kBinaryRowHeader)
    return malformed("binary row without its 0x00 header");
  auto bitmap = r.bytes(null_bitmap_size(columns.size()));
  if (!bitmap) return malformed("binary row NULL bitmap truncated");
  Row row;
  row.reserve(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    size_t bit = i + kNullBitmapOffset;
    if ((static_cast<uint8_t>((*bitmap)[bit / 8]) >> (bit % 8)) & 1) {
      row.emplace_back(std::nullopt);
      continue;
    }
    auto value = read_binary_value(r, columns[i]);
    if (!value) {
      return malformed("binary row field " + std::to_string(i + 1) + " truncated or invalid");
    }
    row.emplace_back(std::move(*value));
  }
  if (!r.empty()) return malformed("binary row has bytes after its last field");
  return row;
}

}  // namespace gp::mysql
