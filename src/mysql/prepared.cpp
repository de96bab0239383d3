#include "mysql/prepared.h"

#include <bit>
#include <cstring>

#include "mysql/binary_value.h"
#include "mysql/messages.h"
#include "mysql/packet.h"

namespace gp::mysql {

namespace {

constexpr uint8_t kPrepareOkHeader = 0x00;
// 0x00, statement id, column count, parameter count; libmysql reads the
// filler and the warning count only when present.
constexpr size_t kMinPrepareOkLength = 9;
constexpr size_t kPrepareOkWithWarningsLength = 12;
constexpr size_t kStatementIdEnd = 5;  // command byte + int<4>
constexpr uint8_t kUnsignedParamFlag = 0x80;

std::unexpected<Error> malformed(std::string_view what) {
  return make_error(errc::kMalformedPacket, "Malformed packet: " + std::string(what));
}

void put_id_at_1(std::string& payload, uint32_t id) {
  std::string le;
  put_int4(le, id);
  payload.replace(1, 4, le);
}

std::string param_name(size_t i) {
  return "COM_STMT_EXECUTE parameter " + std::to_string(i + 1);
}

// The inline value of parameter `i`, of wire type `type`.
Result<ParamValue> read_param(PayloadReader& r, ParamType type, size_t i) {
  ParamValue v;
  v.type = type.type;
  auto form = binary_form(type.type);
  if (!form)
    return malformed(param_name(i) + " has unsupported type " +
                     std::to_string(static_cast<unsigned>(type.type)));
  auto integer = [&](std::optional<uint64_t> raw, int bits) -> Result<ParamValue> {
    if (!raw) return malformed(param_name(i) + " truncated");
    if (type.is_unsigned) {
      v.kind = ParamValue::Kind::kUnsigned;
      v.u = *raw;
    } else {
      // Sign-extend from `bits`: the shifts move the value's sign bit to bit 63.
      v.kind = ParamValue::Kind::kSigned;
      v.i = static_cast<int64_t>(*raw << (64 - bits)) >> (64 - bits);
    }
    return v;
  };
  switch (*form) {
    case BinaryForm::kNone:
      return v;
    case BinaryForm::kInt1:
      return integer(r.int1(), 8);
    case BinaryForm::kInt2:
      return integer(r.int2(), 16);
    case BinaryForm::kInt4:
      return integer(r.int4(), 32);
    case BinaryForm::kInt8:
      return integer(r.int8(), 64);
    case BinaryForm::kFloat: {
      auto raw = r.int4();
      if (!raw) return malformed(param_name(i) + " truncated");
      v.kind = ParamValue::Kind::kDouble;
      v.d = std::bit_cast<float>(*raw);
      return v;
    }
    case BinaryForm::kDouble: {
      auto raw = r.int8();
      if (!raw) return malformed(param_name(i) + " truncated");
      v.kind = ParamValue::Kind::kDouble;
      v.d = std::bit_cast<double>(*raw);
      return v;
    }
    case BinaryForm::kDate:
    case BinaryForm::kDateTime:
    case BinaryForm::kTime: {
      auto t = *form == BinaryForm::kTime ? read_binary_time(r) : read_binary_datetime(r);
      if (!t) return malformed(param_name(i) + " is not a valid temporal value");
      v.kind = ParamValue::Kind::kTemporal;
      if (*form == BinaryForm::kDate) {
        v.text = format_date(*t);
      } else if (*form == BinaryForm::kDateTime) {
        v.text = format_datetime(*t, -1);
      } else {
        v.text = format_time(*t, -1, /*days_prefix=*/true);
      }
      return v;
    }
    case BinaryForm::kLengthEncoded: {
      auto s = r.lenenc_str();
      if (!s) return malformed(param_name(i) + " truncated");
      v.kind = is_byte_type(type.type) ? ParamValue::Kind::kBytes : ParamValue::Kind::kString;
      v.text = std::string(*s);
      return v;
    }
  }
  return malformed(param_name(i) + " has unsupported type");
}

}  // namespace

Column param_column() {
  Column c;
  c.name = "?";
  c.type = ColumnType::kVarString;
  c.charset = charset::kBinary;
  c.flags = column_flag::kBinary;
  return c;
}

void append_prepare_ok(std::string& out, uint8_t& seq, const PrepareOk& ok, uint32_t capabilities) {
  std::string header;
  put_int1(header, kPrepareOkHeader);
  put_int4(header, ok.statement_id);
  put_int2(header, static_cast<uint16_t>(ok.columns.size()));
  put_int2(header, static_cast<uint16_t>(ok.params.size()));
  put_int1(header, 0);  // filler
  put_int2(header, ok.warnings);
  append_packet(out, seq, header);
  bool deprecate_eof = (capabilities & cap::kDeprecateEof) != 0;
  for (const auto* block : {&ok.params, &ok.columns}) {
    if (block->empty()) continue;
    for (const auto& column : *block) append_packet(out, seq, encode_column_definition(column));
    if (!deprecate_eof) {
      append_packet(out, seq, encode_eof({ok.warnings, ok.status_flags}, capabilities));
    }
  }
}

Result<PrepareOkHeader> parse_prepare_ok_header(std::string_view payload) {
  if (payload.size() < kMinPrepareOkLength ||
      static_cast<uint8_t>(payload[0]) != kPrepareOkHeader) {
    return malformed("COM_STMT_PREPARE_OK truncated or without its 0x00 header");
  }
  PayloadReader r(payload.substr(1));
  PrepareOkHeader h{};
  h.statement_id = *r.int4();
  h.num_columns = *r.int2();
  h.num_params = *r.int2();
  if (payload.size() >= kPrepareOkWithWarningsLength) {
    r.int1();  // filler
    h.warnings = *r.int2();
  }
  return h;
}

Result<uint32_t> statement_id_of(std::string_view command_payload) {
  if (command_payload.size() < kStatementIdEnd) {
    return malformed("statement command too short for a statement id");
  }
  switch (static_cast<Command>(command_payload[0])) {
    case Command::kStmtExecute:
    case Command::kStmtSendLongData:
    case Command::kStmtClose:
    case Command::kStmtReset:
    case Command::kStmtFetch:
      break;
    default:
      return malformed("command " + std::to_string(static_cast<uint8_t>(command_payload[0])) +
                       " carries no statement id");
  }
  return *PayloadReader(command_payload.substr(1)).int4();
}

void set_statement_id(std::string& command_payload, uint32_t id) {
  put_id_at_1(command_payload, id);
}

void set_prepare_ok_statement_id(std::string& payload, uint32_t id) {
  put_id_at_1(payload, id);
}

Result<ExecuteRequest> parse_execute(std::string_view payload, uint16_t num_params,
                                     const std::vector<ParamType>& previous_types,
                                     const std::vector<std::optional<std::string>>& long_data) {
  PayloadReader r(payload);
  auto command = r.int1();
  if (!command || *command != static_cast<uint8_t>(Command::kStmtExecute)) {
    return malformed("not a COM_STMT_EXECUTE");
  }
  auto id = r.int4();
  auto flags = id ? r.int1() : std::nullopt;
  auto iterations = flags ? r.int4() : std::nullopt;
  if (!iterations) return malformed("COM_STMT_EXECUTE header truncated");
  ExecuteRequest req;
  req.statement_id = *id;
  req.flags = *flags;
  if (num_params > 0) {
    auto null_bitmap = r.bytes((num_params + 7) / 8);
    auto types_bound = null_bitmap ? r.int1() : std::nullopt;
    if (!types_bound) return malformed("COM_STMT_EXECUTE NULL bitmap truncated");
    if (*types_bound != 0) {
      req.types.reserve(num_params);
      for (size_t i = 0; i < num_params; ++i) {
        auto type = r.int1();
        auto flag = type ? r.int1() : std::nullopt;
        if (!flag) return malformed("COM_STMT_EXECUTE parameter types truncated");
        req.types.push_back({static_cast<ColumnType>(*type), (*flag & kUnsignedParamFlag) != 0});
      }
    } else if (previous_types.size() == num_params) {
      req.types = previous_types;
    } else {
      // MariaDB clients may omit the types on a first execute; the server
      // would then have nothing to read the values by.
      return malformed("COM_STMT_EXECUTE of statement " + std::to_string(req.statement_id) +
                       " without parameter types, and parameter types were never sent");
    }
    req.params.reserve(num_params);
    for (size_t i = 0; i < num_params; ++i) {
      if (i < long_data.size() && long_data[i]) {
        ParamValue v;
        v.type = req.types[i].type;
        v.kind = is_byte_type(v.type) ? ParamValue::Kind::kBytes : ParamValue::Kind::kString;
        v.text = *long_data[i];
        req.params.push_back(std::move(v));
        continue;
      }
      bool is_null = (static_cast<uint8_t>((*null_bitmap)[i / 8]) >> (i % 8)) & 1;
      if (is_null) {
        ParamValue v;
        v.type = req.types[i].type;
        req.params.push_back(std::move(v));
        continue;
      }
      auto v = read_param(r, req.types[i], i);
      if (!v) return std::unexpected(std::move(v.error()));
      req.params.push_back(std::move(*v));
    }
  }
  if (!r.empty()) return malformed("COM_STMT_EXECUTE has bytes after its last parameter");
  return req;
}

Result<LongData> parse_send_long_data(std::string_view payload) {
  PayloadReader r(payload);
  auto command = r.int1();
  if (!command || *command != static_cast<uint8_t>(Command::kStmtSendLongData)) {
    return malformed("not a COM_STMT_SEND_LONG_DATA");
  }
  auto id = r.int4();
  auto param = id ? r.int2() : std::nullopt;
  if (!param) return malformed("COM_STMT_SEND_LONG_DATA header truncated");
  return LongData{*id, *param, r.rest()};
}

std::string encode_execute(uint32_t statement_id, const std::vector<ParamValue>& params) {
  std::string out;
  put_int1(out, static_cast<uint8_t>(Command::kStmtExecute));
  put_int4(out, statement_id);
  put_int1(out, 0);  // no cursor
  put_int4(out, 1);  // iterations
  if (params.empty()) return out;
  size_t bitmap_at = out.size();
  out.append((params.size() + 7) / 8, '\0');
  put_int1(out, 1);  // types follow
  std::string values;
  for (size_t i = 0; i < params.size(); ++i) {
    const ParamValue& v = params[i];
    ColumnType type = ColumnType::kVarString;
    uint8_t flag = 0;
    switch (v.kind) {
      case ParamValue::Kind::kNull:
        out[bitmap_at + i / 8] = static_cast<char>(out[bitmap_at + i / 8] | (1 << (i % 8)));
        type = ColumnType::kNull;
        break;
      case ParamValue::Kind::kSigned:
        type = ColumnType::kLongLong;
        put_int8(values, static_cast<uint64_t>(v.i));
        break;
      case ParamValue::Kind::kUnsigned:
        type = ColumnType::kLongLong;
        flag = kUnsignedParamFlag;
        put_int8(values, v.u);
        break;
      case ParamValue::Kind::kDouble: {
        type = ColumnType::kDouble;
        uint64_t bits;
        std::memcpy(&bits, &v.d, sizeof bits);
        put_int8(values, bits);
        break;
      }
      case ParamValue::Kind::kBytes:
        type = is_byte_type(v.type) ? v.type : ColumnType::kBlob;
        put_lenenc_str(values, v.text);
        break;
      case ParamValue::Kind::kString:
        type = v.type == ColumnType::kNewDecimal || v.type == ColumnType::kDecimal
                   ? ColumnType::kNewDecimal
                   : ColumnType::kVarString;
        put_lenenc_str(values, v.text);
        break;
      case ParamValue::Kind::kTemporal:
        put_lenenc_str(values, v.text);
        break;
    }
    put_int1(out, static_cast<uint8_t>(type));
    put_int1(out, flag);
  }
  out += values;
  return out;
}

}  // namespace gp::mysql
