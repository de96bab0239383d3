// fuzz-sources: src/backend/response_tracker.cpp src/mysql/*.cpp
// The relay's view of a backend's answer: ResponseTracker finds where the
// response to one command ends in a raw byte stream. Input: the command byte,
// a flags byte (capabilities, chunk size), then the stream from the server.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "backend/response_tracker.h"
#include "mysql/protocol.h"

namespace {

using gp::backend::ResponseTracker;

struct Outcome {
  size_t consumed = 0;
  bool done = false;
  bool protocol_error = false;
  uint16_t status = 0;
  bool server_error = false;
};

Outcome track(gp::backend::ResponseShape shape, uint32_t caps, std::string_view stream,
              size_t chunk) {
  ResponseTracker tracker(shape, caps);
  Outcome out;
  for (size_t off = 0; off < stream.size(); off += chunk) {
    auto part = stream.substr(off, chunk);
    size_t used = tracker.feed(part);
    if (used > part.size()) __builtin_trap();
    out.consumed += used;
    // Fewer bytes than given only once the response is over.
    if (used < part.size() && !tracker.done()) __builtin_trap();
    if (tracker.done()) break;
  }
  if (tracker.done() && tracker.feed(stream) != 0) __builtin_trap();
  out.done = tracker.done();
  out.protocol_error = tracker.protocol_error().has_value();
  if (out.protocol_error && tracker.protocol_error()->empty()) __builtin_trap();
  if (out.protocol_error && !out.done) __builtin_trap();
  out.status = tracker.status_flags();
  out.server_error = tracker.error().has_value();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  auto shape = gp::backend::response_shape(data[0]);
  if (!shape) return 0;
  uint32_t caps = gp::mysql::kServerCapabilities;
  if (data[1] & 1) caps &= ~gp::mysql::cap::kDeprecateEof;
  size_t chunk = 1 + (data[1] >> 1) % 48;
  std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  // However the stream is cut, the tracker reaches the same verdict.
  Outcome whole = track(*shape, caps, stream, stream.size() + 1);
  Outcome pieces = track(*shape, caps, stream, chunk);
  if (whole.consumed > stream.size() || whole.consumed != pieces.consumed ||
      whole.done != pieces.done || whole.protocol_error != pieces.protocol_error ||
      whole.status != pieces.status || whole.server_error != pieces.server_error) {
    __builtin_trap();
  }
  return 0;
}
