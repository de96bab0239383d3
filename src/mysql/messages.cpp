#include "mysql/messages.h"

#include "mysql/packet.h"
#include "mysql/protocol.h"

namespace gp::mysql {

namespace {

constexpr size_t kSqlstateLength = 5;
constexpr size_t kMinOkLength = 7;
constexpr size_t kMaxEofLength = 9;

std::unexpected<Error> malformed(std::string_view what) {
  return make_error(errc::kMalformedPacket, "Malformed packet: " + std::string(what));
}

}  // namespace

std::string encode_ok(const OkPacket& ok, uint32_t capabilities, uint8_t header) {
  std::string out;
  put_int1(out, header);
  put_lenenc_int(out, ok.affected_rows);
  put_lenenc_int(out, ok.last_insert_id);
  if (capabilities & cap::kProtocol41) {
    put_int2(out, ok.status_flags);
    put_int2(out, ok.warnings);
  } else if (capabilities & cap::kTransactions) {
    put_int2(out, ok.status_flags);
  }
  if (capabilities & cap::kSessionTrack) {
    bool state_changed = (ok.status_flags & status::kSessionStateChanged) != 0;
    // Clients read the info string only if bytes remain, and the state only
    // after an info string, so both are omitted when there is nothing to say.
    if (state_changed || !ok.info.empty()) put_lenenc_str(out, ok.info);
    if (state_changed) put_lenenc_str(out, ok.session_state);
  } else {
    out.append(ok.info);
  }
  return out;
}

std::string encode_err(const Error& err, uint32_t capabilities) {
  std::string out;
  put_int1(out, 0xff);
  put_int2(out, err.code);
  if (capabilities & cap::kProtocol41) {
    out.push_back('#');
    std::string_view state =
        err.sqlstate.size() == kSqlstateLength ? std::string_view(err.sqlstate) : kGeneralSqlstate;
    out.append(state);
  }
  out.append(err.message);
  return out;
}

std::string encode_eof(const EofPacket& eof, uint32_t capabilities) {
  std::string out;
  put_int1(out, 0xfe);
  if (capabilities & cap::kProtocol41) {
    put_int2(out, eof.warnings);
    put_int2(out, eof.status_flags);
  }
  return out;
}

bool is_ok_packet(std::string_view payload) {
  return payload.size() >= kMinOkLength && static_cast<uint8_t>(payload[0]) == 0x00;
}

bool is_err_packet(std::string_view payload) {
  return !payload.empty() && static_cast<uint8_t>(payload[0]) == 0xff;
}

bool is_eof_packet(std::string_view payload) {
  return !payload.empty() && payload.size() < kMaxEofLength &&
         static_cast<uint8_t>(payload[0]) == 0xfe;
}

bool is_resultset_end(std::string_view payload, uint32_t capabilities) {
  if (!(capabilities & cap::kDeprecateEof)) return is_eof_packet(payload);
  return !payload.empty() && static_cast<uint8_t>(payload[0]) == 0xfe &&
         payload.size() < kMaxPacketPayload;
}

Result<OkPacket> parse_ok(std::string_view payload, uint32_t capabilities) {
  PayloadReader r(payload);
  auto header = r.int1();
  if (!header || (*header != 0x00 && *header != 0xfe)) {
    return malformed("OK packet lacks its 0x00 or 0xfe header");
  }
  OkPacket ok;
  auto affected = r.lenenc_int();
  if (!affected) return malformed("OK packet affected-rows count");
  auto insert_id = r.lenenc_int();
  if (!insert_id) return malformed("OK packet last-insert-id");
  ok.affected_rows = *affected;
  ok.last_insert_id = *insert_id;
  if (capabilities & cap::kProtocol41) {
    auto status = r.int2();
    auto warnings = r.int2();
    if (!status || !warnings) return malformed("OK packet status flags or warning count");
    ok.status_flags = *status;
    ok.warnings = *warnings;
  } else if (capabilities & cap::kTransactions) {
    auto status = r.int2();
    if (!status) return malformed("OK packet status flags");
    ok.status_flags = *status;
  }
  if (r.empty()) return ok;
  if (capabilities & cap::kSessionTrack) {
    auto info = r.lenenc_str();
    if (!info) return malformed("OK packet info string");
    ok.info = *info;
    if ((ok.status_flags & status::kSessionStateChanged) && !r.empty()) {
      auto state = r.lenenc_str();
      if (!state) return malformed("OK packet session state");
      ok.session_state = *state;
    }
  } else {
    ok.info = r.rest();
  }
  return ok;
}

Result<Error> parse_err(std::string_view payload, uint32_t /*capabilities*/) {
  PayloadReader r(payload);
  auto header = r.int1();
  if (!header || *header != 0xff) return malformed("ERR packet lacks its 0xff header");
  auto code = r.int2();
  if (!code) return malformed("ERR packet error code");
  Error err;
  err.code = *code;
  // The SQLSTATE marker is looked for whatever the capabilities: a server that
  // fails a connection early sends it before capabilities are agreed. Too
  // short a marker is kept as part of the message rather than rejected.
  if (r.peek() == '#' && r.remaining() > kSqlstateLength) {
    r.int1();
    err.sqlstate = *r.bytes(kSqlstateLength);
  }
  err.message = r.rest();
  return err;
}

Result<EofPacket> parse_eof(std::string_view payload) {
  if (!is_eof_packet(payload)) return malformed("EOF packet lacks its 0xfe header or is too long");
  PayloadReader r(payload);
  r.int1();
  EofPacket eof;
  if (r.remaining() >= 4) {
    eof.warnings = *r.int2();
    eof.status_flags = *r.int2();
  } else if (!r.empty()) {
    return malformed("EOF packet warning count or status flags");
  }
  return eof;
}

}  // namespace gp::mysql
