// The built-in `lexical:` provider: deterministic lexical retrieval, not
// semantic similarity. Pure. docs/GENAI.md describes the algorithms.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "genai/embedding_adapter.h"

namespace gp::genai::lexical {

// Words: runs of ASCII letters and digits (lower-cased) and of bytes >= 0x80,
// so UTF-8 letters of any script stay inside words. Everything else splits.
std::vector<std::string> tokenize(std::string_view text);

// FNV-1a 64-bit, continuing from `seed` (the FNV offset basis by default).
uint64_t fnv1a(std::string_view bytes, uint64_t seed = 14695981039346656037ull);

// Hashed term-frequency vector of unigrams and bigrams, weight 1 + ln(tf),
// sign from the hash's top bit, L2-normalised to length 1. Never NaN: a text
// without words hashes its raw bytes as one feature.
std::vector<double> embed(std::string_view text, int dimensions);

Embeddings embed_all(std::span<const std::string> documents, int dimensions);

// Okapi BM25 (k1 = 1.2, b = 0.75) of each document for `query`, with the
// non-negative idf ln(1 + (N - n + 0.5) / (n + 0.5)) over these documents.
std::vector<double> bm25(std::string_view query, std::span<const std::string> documents);

}  // namespace gp::genai::lexical
