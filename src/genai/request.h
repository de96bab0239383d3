// GENAI: statements: recognition and parsing into a validated request. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/error.h"

namespace gp::genai {

enum class RequestType { kEmbed, kRerank };
enum class EmbedFormat { kCsv, kJson, kBinary };

// A document that is null, or empty after trimming white space, is not sent
// upstream: its row gets a NULL embedding or score (SPEC-GENAI §2).
using Documents = std::vector<std::optional<std::string>>;
bool is_blank_document(const std::optional<std::string>& document);

struct GenaiRequest {
  RequestType type = RequestType::kEmbed;
  std::optional<std::string> model;              // a genai_models name; none: the default
  Documents documents;                           // empty when document_from_sql is set
  std::optional<std::string> document_from_sql;  // SPEC-GENAI §5
  EmbedFormat format = EmbedFormat::kCsv;        // embed only
  std::string query;                             // rerank only
  uint64_t top_n = 0;                            // rerank only; 0 = all
  int columns = 3;                               // rerank only; 2 or 3
};

// True when `sql`, after leading white space, starts with "GENAI:" (any case).
bool is_genai_statement(std::string_view sql);

// Parses and validates a whole GENAI: statement (SPEC-GENAI §1-§3). Limits
// (max_documents) come from `settings`.
Result<GenaiRequest> parse_genai_statement(std::string_view sql, const GenaiSettings& settings);

}  // namespace gp::genai
