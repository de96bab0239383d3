// The shapes of the GenAI module's error messages. The codes (9101-9108) and
// their SQLSTATEs are rows of the one error table (core/error.h, errc::kGenai*;
// docs/GENAI.md lists them). Every GENAI: failure reaches the client as one of
// them; the session stays usable.
#pragma once

#include <string>
#include <utility>

#include "core/error.h"

namespace gp::genai {

inline Error invalid_request(std::string message) {
  return Error::make(errc::kGenaiInvalidRequest, "GENAI: " + std::move(message));
}
inline Error invalid_answer(std::string message) {
  return Error::make(errc::kGenaiInvalidAnswer, std::move(message));
}
inline Error unavailable_error() {
  return Error::make(errc::kGenaiUnavailable,
                     "GENAI: module unavailable (the GenAI engine is stopped)");
}
inline Error cancelled_error() {
  return Error::make(errc::kGenaiCancelled, "GENAI: request cancelled (the client went away)");
}
inline Error disabled_error() {
  return Error::make(errc::kGenaiUnavailable,
                     "GenAI module disabled (genai-enabled=false): SET genai-enabled=true and "
                     "LOAD GENAI VARIABLES TO RUNTIME on the admin interface to enable it");
}

}  // namespace gp::genai
