#include "genai/service_reply.h"

#include <string>

#include "genai/errors.h"
#include "genai/service_error.h"

namespace gp::genai {
namespace {

Error transport_error(const ServiceEndpoint& ep, const HttpReply& r) {
  if (r.code == CURLE_OPERATION_TIMEDOUT) {
    return Error::make(errc::kGenaiServiceTimeout,
                       "GENAI: " + ep.service + " service " + ep.display_uri + " timed out after " +
                           std::to_string(r.elapsed_ms) + " ms (" + ep.timeout_variable + "=" +
                           std::to_string(ep.timeout_ms) + ")");
  }
  if (r.too_large) {
    return Error::make(errc::kGenaiInvalidAnswer, "GENAI: invalid answer from " + ep.service +
                                                      " service " + ep.display_uri +
                                                      ": the answer is larger than 1 GiB");
  }
  return Error::make(
      errc::kGenaiServiceUnreachable,
      "GENAI: " + ep.service + " service " + ep.display_uri + " is unreachable: " + r.error);
}

}  // namespace

std::optional<Error> reply_error(const ServiceEndpoint& ep, const HttpReply& r, bool cancelled) {
  if (r.code == CURLE_ABORTED_BY_CALLBACK)
    return cancelled ? cancelled_error() : unavailable_error();
  if (r.code != CURLE_OK) return transport_error(ep, r);
  if (r.status < 200 || r.status >= 300) {
    std::string message = extract_service_message(r.body);
    return Error::make(errc::kGenaiServiceError,
                       "GENAI: " + ep.service + " service " + ep.display_uri + " answered HTTP " +
                           std::to_string(r.status) + (message.empty() ? "" : ": " + message));
  }
  return std::nullopt;
}

Error answer_error(const ServiceEndpoint& ep, Error e) {
  e.message =
      "GENAI: invalid answer from " + ep.service + " service " + ep.display_uri + ": " + e.message;
  return e;
}

}  // namespace gp::genai
