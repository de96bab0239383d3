// Embedding services: request bodies and answer parsing. Pure.
//
// Answers are recognised by shape: llama-server native
// [{"index","embedding":[[..]]}] (or a flat inner vector), OpenAI-compatible
// {"data":[{"index","embedding":[..] | "<base64 float32>"}]}, TEI bare
// [[..],[..]], Ollama {"embeddings":[[..]]}, and old llama-server
// {"embedding":[..]} for a single document.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace gp::genai {

struct Embeddings {
  size_t count = 0;
  size_t dimension = 0;
  std::vector<double> values;     // count * dimension, row-major, all finite
  bool single_precision = false;  // values came as float32 (base64 answers)
  uint64_t upstream_tokens = 0;   // as the service reported them (reported_tokens)

  std::span<const double> row(size_t i) const { return {values.data() + i * dimension, dimension}; }
};

// True for a URI whose path ends in "/embed" (text-embeddings-inference),
// whose request names its list "inputs" instead of "input"; Ollama's
// "/api/embed" is not one.
bool uses_tei_inputs(std::string_view uri);

// {"input":[...]} (or "inputs"), plus "model" when not empty. The documents
// are moved into the JSON value and back, so they are not copied.
std::string build_embedding_body(std::span<std::string> documents, std::string_view model,
                                 bool tei_inputs);

// Parses a 2xx answer for `expected` documents. Pairs by the "index" field
// where the shape has one. `body` gains padding capacity.
Result<Embeddings> parse_embedding_answer(std::string& body, size_t expected,
                                          simdjson::dom::parser& parser);

}  // namespace gp::genai
