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

// Document indices by score, highest first, ties by lower index; at most
// `top_n` of them (0 = all).
std::vector<size_t> rank_order(std::span<const double> scores, uint64_t top_n);

// embed: column `embedding` (TEXT, BLOB for binary), one row per document.
mysql::ResultSet embed_result(const Embeddings& embeddings, EmbedFormat format);

// rerank: (`index`, `score`[, `document`]) sorted and cut. `documents` are
// moved into the rows.
mysql::ResultSet rerank_result(std::span<const double> scores, std::vector<std::string>&& documents,
                               uint64_t top_n, int columns);

// document_from_sql: the first column of every row is a document. NULL or
// empty values and too many rows are invalid requests.
Result<std::vector<std::string>> documents_from_rows(const mysql::ResultSet& rows,
                                                     const GenaiSettings& settings);

// Every column of the SELECT plus `embedding`, rows in their order.
mysql::ResultSet embed_result_from_sql(mysql::ResultSet&& source, const Embeddings& embeddings,
                                       EmbedFormat format);

// Every column of the SELECT plus `score`, sorted and cut like rerank_result.
mysql::ResultSet rerank_result_from_sql(mysql::ResultSet&& source, std::span<const double> scores,
                                        uint64_t top_n);

}  // namespace gp::genai
