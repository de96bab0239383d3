// What a service's reply means for a statement: the MySQL error for a
// failed transfer, an HTTP error status or an answer that does not parse.
#pragma once

#include <optional>

#include "core/error.h"
#include "genai/endpoint.h"
#include "genai/http_loop.h"

namespace gp::genai {

// The reply's failure, if it is one: transport (unreachable, timeout, too
// large), HTTP status >= 400 with the service's own message, or an aborted
// call (`cancelled`: the client went away; otherwise the engine stopped).
std::optional<Error> reply_error(const ServiceEndpoint& ep, const HttpReply& reply, bool cancelled);

// A refusal because the input is longer than the model's context, and the
// token counts the service gave (0: not given): llama-server's
// exceed_context_size_error (n_prompt_tokens, n_ctx) and its older "too large
// to process", TEI's 413 and 422 ("must have less than N tokens. Given: M"),
// OpenAI's and vLLM's "maximum context length is N tokens ... M tokens".
struct InputTooLong {
  long prompt_tokens = 0;
  long context_tokens = 0;
};
std::optional<InputTooLong> input_too_long(const HttpReply& reply);

// 9111 for `document` (as the message names it, e.g. "document 3").
Error input_too_long_error(const ServiceEndpoint& ep, const InputTooLong& counts,
                           const std::string& document);

// An invalid answer, named after the service.
Error answer_error(const ServiceEndpoint& ep, Error e);

}  // namespace gp::genai
