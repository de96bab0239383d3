#include "backend/response_tracker.h"

#include <utility>

#include "mysql/messages.h"
#include "mysql/packet.h"
#include "mysql/protocol.h"

namespace gp::backend {

namespace {

using mysql::Command;

constexpr size_t kFullFrame = mysql::kMaxPacketPayload;
// OK, ERR, EOF and column counts are small; a bigger packet is never kept.
constexpr size_t kMaxCapture = 1 << 20;

}  // namespace

std::optional<ResponseShape> response_shape(uint8_t command) {
  switch (static_cast<Command>(command)) {
    case Command::kQuery:
    case Command::kProcessInfo:
    case Command::kStmtExecute:
      return ResponseShape::kResultSet;
    case Command::kStmtPrepare:
      return ResponseShape::kPrepare;
    case Command::kFieldList:
      return ResponseShape::kFieldList;
    case Command::kStmtFetch:
      return ResponseShape::kRows;
    case Command::kStmtClose:
    case Command::kStmtSendLongData:
      return ResponseShape::kNone;
    case Command::kInitDb:
    case Command::kPing:
    case Command::kStatistics:
    case Command::kStmtReset:
    case Command::kSetOption:
    case Command::kResetConnection:
    case Command::kRefresh:
    case Command::kProcessKill:
    case Command::kDebug:
    case Command::kCreateDb:
    case Command::kDropDb:
      return ResponseShape::kSingle;
    default:
      return std::nullopt;
  }
}

ResponseTracker::ResponseTracker(ResponseShape shape, uint32_t capabilities)
    : shape_(shape), capabilities_(capabilities) {
  switch (shape) {
    case ResponseShape::kNone:
      phase_ = Phase::kDone;
      break;
    case ResponseShape::kRows:
      phase_ = Phase::kRows;
      break;
    case ResponseShape::kFieldList:
      phase_ = Phase::kFieldList;
      break;
    default:
      phase_ = Phase::kFirst;
  }
}

size_t ResponseTracker::feed(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size() && phase_ != Phase::kDone) {
    if (remaining_ == 0 && header_filled_ < 4) {
      while (header_filled_ < 4 && i < bytes.size()) {
        header_[header_filled_++] = static_cast<uint8_t>(bytes[i++]);
        ++packet_bytes_;
      }
      if (header_filled_ < 4) break;
      frame_length_ = header_[0] | (header_[1] << 8) | (header_[2] << 16);
      seq_ = header_[3];
      remaining_ = frame_length_;
      if (!continuation_) {
        first_byte_pending_ = true;
        capturing_ = false;
        large_ = frame_length_ == kFullFrame;
        capture_.clear();
      }
      if (remaining_ == 0) end_frame();
      continue;
    }
    if (first_byte_pending_) {
      first_byte_ = static_cast<uint8_t>(bytes[i]);
      first_byte_pending_ = false;
      capturing_ = !large_ && frame_length_ <= kMaxCapture && wants_capture(first_byte_);
    }
    size_t take = std::min(remaining_, bytes.size() - i);
    if (capturing_) capture_.append(bytes.substr(i, take));
    i += take;
    remaining_ -= take;
    packet_bytes_ += take;
    if (remaining_ == 0) end_frame();
  }
  return i;
}

void ResponseTracker::end_frame() {
  header_filled_ = 0;
  if (frame_length_ == kFullFrame) {
    continuation_ = true;
    return;
  }
  continuation_ = false;
  ++packets_;
  last_packet_bytes_ = std::exchange(packet_bytes_, 0);
  // An empty packet has no first byte; 0x00 would misread it as an OK.
  on_packet(first_byte_pending_ ? 0x100 : first_byte_, capture_);
}

bool ResponseTracker::wants_capture(uint8_t first) const {
  switch (phase_) {
    case Phase::kFirst:
      return true;
    default:
      return first == 0xfe || first == 0xff;
  }
}

void ResponseTracker::fail(std::string message) {
  protocol_error_ = std::move(message);
  phase_ = Phase::kDone;
}

void ResponseTracker::on_error(std::string_view payload) {
  auto err = mysql::parse_err(payload, capabilities_);
  if (err) {
    error_ = std::move(*err);
  } else {
    error_ = err.error();
  }
  phase_ = Phase::kDone;
}

void ResponseTracker::on_ok(std::string_view payload) {
  mysql::PayloadReader r(payload);
  r.int1();
  auto affected = r.lenenc_int();
  auto insert_id = r.lenenc_int();
  auto status = r.int2();
  auto warnings = r.int2();
  if (!affected || !insert_id || !status || !warnings) {
    fail("malformed OK packet from the server");
    return;
  }
  last_insert_id_ = *insert_id;
  affected_rows_ += *affected;
  status_flags_ = *status;
  warnings_ = *warnings;
}

void ResponseTracker::on_eof(std::string_view payload) {
  mysql::PayloadReader r(payload);
  r.int1();
  auto warnings = r.int2();
  auto status = r.int2();
  if (!warnings || !status) {
    fail("malformed EOF packet from the server");
    return;
  }
  warnings_ = *warnings;
  status_flags_ = *status;
}

// A result set ends with EOF, or with an OK that has the 0xfe header when
// DEPRECATE_EOF is on; either may announce another result.
void ResponseTracker::end_result(std::string_view payload) {
  if (capabilities_ & mysql::cap::kDeprecateEof) {
    on_ok(payload);
  } else {
    on_eof(payload);
  }
  if (phase_ == Phase::kDone) return;
  bool more = (status_flags_ & mysql::status::kMoreResultsExist) != 0;
  phase_ = more && shape_ == ResponseShape::kResultSet ? Phase::kFirst : Phase::kDone;
}

void ResponseTracker::on_first(unsigned first, std::string_view payload) {
  if (first == 0xff) {
    on_error(payload);
    return;
  }
  if (shape_ == ResponseShape::kSingle) {
    if (first == 0x00 && payload.size() >= 7) {
      on_ok(payload);
    } else if (first == 0xfe && payload.size() >= 5) {
      on_eof(payload);
    }
    phase_ = Phase::kDone;
    return;
  }
  if (shape_ == ResponseShape::kPrepare) {
    mysql::PayloadReader r(payload);
    auto header = r.int1();
    auto statement_id = r.int4();
    auto columns = r.int2();
    auto params = r.int2();
    auto filler = r.int1();
    auto warnings = r.int2();
    if (!header || *header != 0x00 || !statement_id || !columns || !params || !filler) {
      fail("malformed COM_STMT_PREPARE response from the server");
      return;
    }
    warnings_ = warnings.value_or(0);
    prepare_columns_ = *columns;
    if (*params > 0) {
      start_definitions(*params, Phase::kPrepareParams);
    } else if (*columns > 0) {
      start_definitions(*columns, Phase::kPrepareColumns);
    } else {
      phase_ = Phase::kDone;
    }
    return;
  }
  // A result-set response.
  if (first == 0x00) {
    on_ok(payload);
    if (phase_ == Phase::kDone) return;
    bool more = (status_flags_ & mysql::status::kMoreResultsExist) != 0;
    phase_ = more ? Phase::kFirst : Phase::kDone;
    return;
  }
  if (first == 0xfb) {
    local_infile_ = true;
    phase_ = Phase::kDone;
    return;
  }
  mysql::PayloadReader r(payload);
  auto count = r.lenenc_int();
  if (!count || *count == 0 || !r.empty()) {
    fail("malformed column count from the server");
    return;
  }
  start_definitions(*count, Phase::kColumns);
}

void ResponseTracker::start_definitions(uint64_t count, Phase phase) {
  phase_ = phase;
  definitions_left_ = count;
}

// The definitions of one block are done; without DEPRECATE_EOF an EOF follows
// them, which `on_packet` consumes before calling here again.
void ResponseTracker::after_definitions() {
  switch (phase_) {
    case Phase::kColumns:
      phase_ = Phase::kRows;
      break;
    case Phase::kPrepareParams:
      if (prepare_columns_ > 0) {
        start_definitions(prepare_columns_, Phase::kPrepareColumns);
      } else {
        phase_ = Phase::kDone;
      }
      break;
    default:
      phase_ = Phase::kDone;
  }
}

void ResponseTracker::on_packet(unsigned first, std::string_view payload) {
  switch (phase_) {
    case Phase::kFirst:
      on_first(first, payload);
      return;
    case Phase::kColumns:
    case Phase::kPrepareParams:
    case Phase::kPrepareColumns: {
      bool deprecate_eof = (capabilities_ & mysql::cap::kDeprecateEof) != 0;
      if (first == 0xff) {
        on_error(payload);
        return;
      }
      if (definitions_left_ > 0) {
        if (--definitions_left_ == 0 && deprecate_eof) after_definitions();
        return;
      }
      if (first != 0xfe) {
        fail("expected an EOF after the column definitions");
        return;
      }
      on_eof(payload);
      if (phase_ == Phase::kDone) return;
      // A cursor was opened (COM_STMT_EXECUTE): rows come with COM_STMT_FETCH.
      if (phase_ == Phase::kColumns && (status_flags_ & mysql::status::kCursorExists)) {
        phase_ = Phase::kDone;
        return;
      }
      after_definitions();
      return;
    }
    case Phase::kRows:
      if (first == 0xff) {
        on_error(payload);
      } else if (first == 0xfe && !large_) {
        end_result(payload);
      } else {
        ++rows_;
      }
      return;
    case Phase::kFieldList:
      if (first == 0xff) {
        on_error(payload);
      } else if (first == 0xfe) {
        on_eof(payload);
        phase_ = Phase::kDone;
      }
      return;
    case Phase::kDone:
      return;
  }
}

}  // namespace gp::backend
