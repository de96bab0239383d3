#include "genai/service_reply.h"

#include <simdjson.h>

#include <cctype>
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

// The first number after `marker` in `text`, or 0.
long number_after(std::string_view text, std::string_view marker) {
  size_t at = text.find(marker);
  if (at == std::string_view::npos) return 0;
  at += marker.size();
  while (at < text.size() && !std::isdigit(static_cast<unsigned char>(text[at]))) {
    if (text[at] == '.' && at + 1 < text.size() && text[at + 1] == ' ') return 0;
    ++at;
  }
  long value = 0;
  while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) {
    value = value * 10 + (text[at++] - '0');
    if (value > 1000000000) return 0;
  }
  return value;
}

bool contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

}  // namespace

std::optional<InputTooLong> input_too_long(const HttpReply& r) {
  if (r.code != CURLE_OK || r.status < 400 || r.status >= 600) return std::nullopt;
  InputTooLong counts;
  std::string message = extract_service_message(r.body);
  simdjson::dom::parser parser;
  simdjson::padded_string padded(r.body);
  simdjson::dom::object root;
  if (parser.parse(padded).get_object().get(root) == simdjson::SUCCESS) {
    simdjson::dom::object error;
    std::string_view type;
    if (root["error"].get_object().get(error) == simdjson::SUCCESS &&
        error["type"].get_string().get(type) == simdjson::SUCCESS &&
        type == "exceed_context_size_error") {
      int64_t n = 0;
      if (error["n_prompt_tokens"].get_int64().get(n) == simdjson::SUCCESS)
        counts.prompt_tokens = n;
      if (error["n_ctx"].get_int64().get(n) == simdjson::SUCCESS) counts.context_tokens = n;
      return counts;
    }
  }
  if (contains(message, "maximum context length")) {
    counts.context_tokens = number_after(message, "maximum context length");
    counts.prompt_tokens = number_after(message, "requested");
    if (counts.prompt_tokens == 0) counts.prompt_tokens = number_after(message, "resulted in");
    return counts;
  }
  if (contains(message, "must have less than") && contains(message, "tokens")) {
    counts.context_tokens = number_after(message, "must have less than");
    counts.prompt_tokens = number_after(message, "Given:");
    return counts;
  }
  if (contains(message, "too large to process") || contains(message, "exceeds the context") ||
      contains(message, "exceed_context_size")) {
    counts.prompt_tokens = number_after(message, "input (");
    counts.context_tokens = number_after(message, "context size (");
    return counts;
  }
  if (r.status == 413) return counts;
  return std::nullopt;
}

Error input_too_long_error(const ServiceEndpoint& ep, const InputTooLong& counts,
                           const std::string& document) {
  std::string tokens;
  if (counts.prompt_tokens > 0 || counts.context_tokens > 0) {
    tokens = " (" + (counts.prompt_tokens > 0 ? std::to_string(counts.prompt_tokens) : "?") +
             " tokens, context " +
             (counts.context_tokens > 0 ? std::to_string(counts.context_tokens) : "?") + " tokens)";
  }
  return Error::make(errc::kGenaiInputTooLong, "GENAI: " + document + " is longer than the " +
                                                   ep.service + " model of " + ep.display_uri +
                                                   " accepts" + tokens + "; shorten or split it");
}

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
