// Finds where a server's response to one command ends, in a byte stream that
// is relayed unchanged. Pure: it is fed the raw frames as they arrive and
// keeps only the few packets whose content matters (OK, ERR, EOF, the column
// count), so a result of any size is followed in bounded memory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace gp::backend {

// The shape of the response a command gets.
enum class ResponseShape {
  kNone,       // no response at all (COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA)
  kSingle,     // one packet (OK, ERR, EOF, or COM_STATISTICS' string)
  kResultSet,  // OK | ERR | LOCAL INFILE request | result set(s), chained by MORE_RESULTS
  kPrepare,    // COM_STMT_PREPARE: OK with parameter and column definitions, or ERR
  kFieldList,  // COM_FIELD_LIST: column definitions ended by EOF, or ERR
  kRows,       // COM_STMT_FETCH: rows ended by EOF/OK, or ERR
};

// The shape for a command byte; std::nullopt for commands the proxy never forwards.
std::optional<ResponseShape> response_shape(uint8_t command);

class ResponseTracker {
 public:
  ResponseTracker(ResponseShape shape, uint32_t capabilities);

  // Consumes the next bytes of the stream; returns how many belong to this
  // response (fewer than given only once the response is complete).
  size_t feed(std::string_view bytes);

  bool done() const { return phase_ == Phase::kDone; }
  // A malformed stream (the relay must drop the connection).
  const std::optional<std::string>& protocol_error() const { return protocol_error_; }

  // Set once done: status flags, last-insert-id and warnings of the last
  // OK/EOF seen; the server's error when an ERR ended the response.
  uint16_t status_flags() const { return status_flags_; }
  uint64_t last_insert_id() const { return last_insert_id_; }
  uint16_t warnings() const { return warnings_; }
  // Rows of the result sets, and rows the OKs say were affected (for
  // stats_mysql_query_digest).
  uint64_t rows() const { return rows_; }
  uint64_t affected_rows() const { return affected_rows_; }
  const std::optional<Error>& error() const { return error_; }
  // The server asked for a LOCAL INFILE (0xfb); the response stops there.
  bool local_infile_requested() const { return local_infile_; }
  // Whether at least one whole packet was seen, and the sequence id of the
  // last frame.
  bool any_packet() const { return packets_ > 0; }
  uint8_t last_sequence_id() const { return seq_; }
  // Size on the wire (headers included) of the last complete packet.
  size_t last_packet_bytes() const { return last_packet_bytes_; }
  // True between packets while rows are being sent: an ERR written there is
  // understood by clients as the end of the result.
  bool between_rows() const {
    return phase_ == Phase::kRows && header_filled_ == 0 && remaining_ == 0 && !continuation_;
  }

 private:
  enum class Phase { kFirst, kColumns, kRows, kPrepareParams, kPrepareColumns, kFieldList, kDone };

  void end_frame();
  // `first` is the payload's first byte, or 0x100 for an empty payload.
  void on_packet(unsigned first, std::string_view payload);
  void on_first(unsigned first, std::string_view payload);
  void on_ok(std::string_view payload);
  void on_eof(std::string_view payload);
  void on_error(std::string_view payload);
  void end_result(std::string_view payload);
  void start_definitions(uint64_t count, Phase phase);
  void after_definitions();
  bool wants_capture(uint8_t first) const;
  void fail(std::string message);

  ResponseShape shape_;
  uint32_t capabilities_;
  Phase phase_;

  // Framing state of the frame being read.
  uint8_t header_[4] = {};
  size_t header_filled_ = 0;
  size_t remaining_ = 0;  // payload bytes of the current frame still to come
  size_t frame_length_ = 0;
  bool continuation_ = false;  // the current frame continues a 16 MiB - 1 frame
  bool capturing_ = false;
  bool first_byte_pending_ = false;
  bool large_ = false;  // the packet spans several frames: never an OK/EOF
  uint8_t first_byte_ = 0;
  std::string capture_;

  uint64_t definitions_left_ = 0;
  uint64_t prepare_columns_ = 0;
  uint64_t packets_ = 0;
  size_t packet_bytes_ = 0;  // of the packet being read, headers included
  size_t last_packet_bytes_ = 0;
  uint8_t seq_ = 0;

  uint16_t status_flags_ = 0;
  uint64_t last_insert_id_ = 0;
  uint16_t warnings_ = 0;
  uint64_t rows_ = 0;
  uint64_t affected_rows_ = 0;
  std::optional<Error> error_;
  std::optional<std::string> protocol_error_;
  bool local_infile_ = false;
};

}  // namespace gp::backend
