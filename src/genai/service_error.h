// Extraction of a service's own error message from an HTTP error body. Pure.
#pragma once

#include <string>
#include <string_view>

namespace gp::genai {

// The message of {"error":{"message":..}}, {"error":".."}, {"message":..} or
// {"detail":..} (non-string details are rendered as JSON); otherwise the raw
// body, cut to about 512 bytes on a UTF-8 boundary. Empty body → "".
std::string extract_service_message(std::string_view body);

}  // namespace gp::genai
