// MySQL error codes of the GenAI module (docs/GENAI.md lists them). Every
// GENAI: failure reaches the client as one of these; the session stays usable.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "core/error.h"

namespace gp::genai {

namespace errc {
inline constexpr uint16_t kInvalidRequest = 9101;      // 42000
inline constexpr uint16_t kServiceUnreachable = 9102;  // HY000
inline constexpr uint16_t kServiceTimeout = 9103;      // HY000
inline constexpr uint16_t kServiceError = 9104;        // HY000: HTTP status >= 400
inline constexpr uint16_t kInvalidAnswer = 9105;       // HY000
inline constexpr uint16_t kUnavailable = 9106;         // HY000: engine stopped
inline constexpr uint16_t kOverloaded = 9107;          // HY000: genai-max_queue reached
inline constexpr uint16_t kCancelled = 9108;           // HY000: client gone
}  // namespace errc

inline Error invalid_request(std::string message) {
  return Error{errc::kInvalidRequest, "42000", "GENAI: " + std::move(message)};
}
inline Error invalid_answer(std::string message) {
  return Error{errc::kInvalidAnswer, "HY000", std::move(message)};
}
inline Error genai_error(uint16_t code, std::string message) {
  return Error{code, "HY000", std::move(message)};
}
inline Error unavailable_error() {
  return genai_error(errc::kUnavailable, "GENAI: module unavailable (the GenAI engine is stopped)");
}
inline Error cancelled_error() {
  return genai_error(errc::kCancelled, "GENAI: request cancelled (the client went away)");
}
inline Error disabled_error() {
  return genai_error(errc::kUnavailable,
                     "GenAI module disabled (genai-enabled=false): SET genai-enabled=true and "
                     "LOAD GENAI VARIABLES TO RUNTIME on the admin interface to enable it");
}

}  // namespace gp::genai
