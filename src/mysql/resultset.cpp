#include "mysql/resultset.h"

#include <algorithm>
#include <type_traits>

#include "mysql/packet.h"

namespace gp::mysql {

namespace {

constexpr uint8_t kColumnFixedLength = 0x0c;
constexpr uint8_t kNullMarker = 0xfb;
// MariaDB and MySQL cap a table at 4096 columns; a larger count is garbage
// and must not make a caller reserve gigabytes.
constexpr uint64_t kMaxColumnCount = 65535;

std::unexpected<Error> malformed(std::string_view what) {
  return make_error(errc::kMalformedPacket, "Malformed packet: " + std::string(what));
}

}  // namespace

Column Column::text(std::string name) {
  Column c;
  c.name = std::move(name);
  c.type = ColumnType::kVarString;
  c.charset = charset::kUtf8mb4GeneralCi;
  c.length = 4 * 1024;  // VARCHAR(1024) in utf8mb4; longer values still pass intact
  return c;
}

Column Column::blob(std::string name) {
  Column c;
  c.name = std::move(name);
  c.type = ColumnType::kBlob;
  c.charset = charset::kBinary;
  c.length = 16777215;  // MEDIUMBLOB: embeddings and documents outgrow a BLOB's 64 KiB
  c.flags = column_flag::kBlob | column_flag::kBinary;
  return c;
}

Column Column::bigint(std::string name) {
  Column c;
  c.name = std::move(name);
  c.type = ColumnType::kLongLong;
  c.charset = charset::kBinary;
  c.length = 20;
  c.flags = column_flag::kBinary;  // clients derive NUM_FLAG from the type
  return c;
}

Column Column::dbl(std::string name) {
  Column c;
  c.name = std::move(name);
  c.type = ColumnType::kDouble;
  c.charset = charset::kBinary;
  c.length = 22;
  c.flags = column_flag::kBinary;  // clients derive NUM_FLAG from the type
  c.decimals = 31;                 // NOT_FIXED_DEC: the value carries its own precision
  return c;
}

std::string encode_column_definition(const Column& c) {
  std::string out;
  put_lenenc_str(out, "def");
  put_lenenc_str(out, c.schema);
  put_lenenc_str(out, c.table);
  put_lenenc_str(out, c.table);  // org_table
  put_lenenc_str(out, c.name);
  put_lenenc_str(out, c.name);  // org_name
  put_lenenc_int(out, kColumnFixedLength);
  put_int2(out, c.charset);
  put_int4(out, c.length);
  put_int1(out, static_cast<uint8_t>(c.type));
  put_int2(out, c.flags);
  put_int1(out, c.decimals);
  put_int2(out, 0);
  return out;
}

std::string encode_text_row(const Row& row) {
  std::string out;
  for (const auto& field : row) {
    if (field) {
      put_lenenc_str(out, *field);
    } else {
      put_int1(out, kNullMarker);
    }
  }
  return out;
}

bool append_resultset_head(std::string& out, uint8_t& seq, const ResultSet& rs,
                           uint32_t capabilities, uint16_t status_flags) {
  // A column count of 0 would read as a truncated OK packet: a result without
  // columns is answered as the OK it really is.
  if (rs.columns.empty()) {
    OkPacket ok;
    ok.status_flags = status_flags;
    ok.warnings = rs.warnings;
    append_packet(out, seq, encode_ok(ok, capabilities));
    return false;
  }
  std::string count;
  put_lenenc_int(count, rs.columns.size());
  append_packet(out, seq, count);
  for (const auto& column : rs.columns) append_packet(out, seq, encode_column_definition(column));
  if (!(capabilities & cap::kDeprecateEof)) {
    append_packet(out, seq, encode_eof({0, status_flags}, capabilities));
  }
  return true;
}

void append_resultset_end(std::string& out, uint8_t& seq, const ResultSet& rs,
                          uint32_t capabilities, uint16_t status_flags) {
  if (capabilities & cap::kDeprecateEof) {
    OkPacket ok;
    ok.status_flags = status_flags;
    ok.warnings = rs.warnings;
    append_packet(out, seq, encode_ok(ok, capabilities, 0xfe));
  } else {
    append_packet(out, seq, encode_eof({rs.warnings, status_flags}, capabilities));
  }
}

void append_resultset(std::string& out, uint8_t& seq, const ResultSet& rs, uint32_t capabilities,
                      uint16_t status_flags) {
  if (!append_resultset_head(out, seq, rs, capabilities, status_flags)) return;
  for (const auto& row : rs.rows) append_packet(out, seq, encode_text_row(row));
  append_resultset_end(out, seq, rs, capabilities, status_flags);
}

void append_query_result(std::string& out, uint8_t& seq, const QueryResult& result,
                         uint32_t capabilities, uint16_t status_flags) {
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, OkPacket>) {
          OkPacket ok = r;
          ok.status_flags = status_flags;
          append_packet(out, seq, encode_ok(ok, capabilities));
        } else {
          append_resultset(out, seq, r, capabilities, status_flags);
        }
      },
      result);
}

Result<uint64_t> parse_column_count(std::string_view payload) {
  PayloadReader r(payload);
  auto count = r.lenenc_int();
  if (!count) return malformed("column count is not a length-encoded integer");
  if (*count == 0 || *count > kMaxColumnCount) {
    return malformed("column count " + std::to_string(*count) + " out of range");
  }
  return *count;
}

Result<Column> parse_column_definition(std::string_view payload) {
  PayloadReader r(payload);
  Column c;
  auto catalog = r.lenenc_str();
  auto schema = catalog ? r.lenenc_str() : std::nullopt;
  auto table = schema ? r.lenenc_str() : std::nullopt;
  auto org_table = table ? r.lenenc_str() : std::nullopt;
  auto name = org_table ? r.lenenc_str() : std::nullopt;
  auto org_name = name ? r.lenenc_str() : std::nullopt;
  if (!org_name) return malformed("column definition names truncated");
  c.schema = *schema;
  c.table = *table;
  c.name = *name;
  auto fixed_length = r.lenenc_int();
  if (!fixed_length || *fixed_length < 10) {
    return malformed("column definition fixed-length field size");
  }
  auto fixed = r.bytes(*fixed_length);
  if (!fixed) return malformed("column definition fixed-length fields truncated");
  PayloadReader f(*fixed);
  c.charset = *f.int2();
  c.length = *f.int4();
  c.type = static_cast<ColumnType>(*f.int1());
  c.flags = *f.int2();
  c.decimals = *f.int1();
  // What follows (COM_FIELD_LIST default values) is of no use to the proxy.
  return c;
}

Result<Row> parse_text_row(std::string_view payload, size_t column_count) {
  PayloadReader r(payload);
  Row row;
  row.reserve(std::min(column_count, payload.size()));
  for (size_t i = 0; i < column_count; ++i) {
    auto marker = r.peek();
    if (!marker) {
      return malformed("row has " + std::to_string(i) + " of " + std::to_string(column_count) +
                       " fields");
    }
    if (*marker == kNullMarker) {
      r.int1();
      row.emplace_back(std::nullopt);
      continue;
    }
    auto field = r.lenenc_str();
    if (!field) return malformed("row field " + std::to_string(i + 1) + " truncated");
    row.emplace_back(std::string(*field));
  }
  if (!r.empty()) return malformed("row has bytes after its last field");
  return row;
}

}  // namespace gp::mysql
