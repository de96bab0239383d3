// Result sets of GENAI: statements, built from provider output. Pure.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "genai/embedding_adapter.h"
#include "genai/request.h"
#include "mysql/resultset.h"

namespace gp::genai {

// One vector as text ("v1,v2" or "[v1,v2]", shortest round-trip) or as
// float32 little-endian bytes (MySQL's VECTOR storage format).
std::string format_embedding(const Embeddings& embeddings, size_t row, EmbedFormat format);

// What the provider computed for the documents that were sent: row k of
// `embeddings` (or `scores[k]`) belongs to document `positions[k]` of
// `total`; the other documents were blank and get NULL.
struct Computed {
  const Embeddings& embeddings;
  std::span<const double> scores;
  std::span<const size_t> positions;
  size_t total = 0;
};

// Document indices by score, highest first, ties by lower index; at most
// `top_n` of them (0 = all).
std::vector<size_t> rank_order(std::span<const double> scores, uint64_t top_n);

// embed: column `embedding` (TEXT, BLOB for binary), one row per document.
mysql::ResultSet embed_result(const Computed& computed, EmbedFormat format);

// rerank: (`index`, `score`[, `document`]) sorted and cut; blank documents
// have a NULL score and come after every scored one. `documents` are moved
// into the rows.
mysql::ResultSet rerank_result(const Computed& computed, Documents&& documents, uint64_t top_n,
                               int columns);

// document_from_sql: the first column of every row is a document (NULL
// allowed, as in a `documents` list). Too many rows are an invalid request.
Result<Documents> documents_from_rows(const mysql::ResultSet& rows, const GenaiSettings& settings);

// Every column of the SELECT plus `embedding`, rows in their order.
mysql::ResultSet embed_result_from_sql(mysql::ResultSet&& source, const Computed& computed,
                                       EmbedFormat format);

// Every column of the SELECT plus `score`, sorted and cut like rerank_result.
mysql::ResultSet rerank_result_from_sql(mysql::ResultSet&& source, const Computed& computed,
                                        uint64_t top_n);

}  // namespace gp::genai
