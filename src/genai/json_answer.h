// Helpers shared by the service answer adapters. Pure.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace gp::genai {

// Parses `body` in place: grows its capacity by simdjson's padding (no copy
// when the receive buffer was reserved with room to spare).
inline simdjson::error_code parse_answer(simdjson::dom::parser& parser, std::string& body,
                                         simdjson::dom::element& root) {
  if (body.capacity() - body.size() < simdjson::SIMDJSON_PADDING) {
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  }
  return parser.parse(body).get(root);
}

// A finite number, or an error naming `what` (e.g. "embedding 2 value 7").
Result<double> finite_number(simdjson::dom::element value, std::string_view what);

// Index field of answer item `position`: an integer in [0, count).
Result<size_t> answer_index(simdjson::dom::object item, size_t position, size_t count);

// The tokens the service says the request used, 0 when it says nothing:
// OpenAI-style and llama-server's /v1 "usage" (total_tokens, else
// prompt_tokens), Jina's usage.total_tokens, Cohere's
// meta.billed_units.input_tokens, Ollama's prompt_eval_count. TEI reports
// none.
uint64_t reported_tokens(simdjson::dom::element root);

}  // namespace gp::genai
