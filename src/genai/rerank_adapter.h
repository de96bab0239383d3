// Rerank services: request bodies and answer parsing. Pure.
//
// Answers: Jina / llama-server / Cohere / vLLM {"results":[{"index",
// "relevance_score"}]} and TEI [{"index","score"}]. Results are paired by
// "index", never by position; the caller sorts and cuts.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace gp::genai {

// {"query", "documents", "top_n": count} plus "model" when not empty. top_n is
// the document count so that services which cut by default return every
// score. Documents are moved into the JSON value and back.
std::string build_rerank_body(std::string_view query, std::span<std::string> documents,
                              std::string_view model);

// One finite score per document, by document index. `upstream_tokens`, when
// given, is set to the tokens the service reported (reported_tokens).
Result<std::vector<double>> parse_rerank_answer(std::string& body, size_t expected,
                                                simdjson::dom::parser& parser,
                                                uint64_t* upstream_tokens = nullptr);

}  // namespace gp::genai
