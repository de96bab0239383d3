#include "genai/result_builder.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <numeric>

#include "genai/errors.h"
#include "genai/number_format.h"

namespace gp::genai {
namespace {

void append_value(std::string& out, const Embeddings& e, double v) {
  if (e.single_precision) {
    append_float(out, static_cast<float>(v));
  } else {
    append_double(out, v);
  }
}

mysql::Column embedding_column(EmbedFormat format) {
  return format == EmbedFormat::kBinary ? mysql::Column::blob("embedding")
                                        : mysql::Column::text("embedding");
}

}  // namespace

std::string format_embedding(const Embeddings& embeddings, size_t row, EmbedFormat format) {
  auto values = embeddings.row(row);
  std::string out;
  if (format == EmbedFormat::kBinary) {
    out.resize(values.size() * 4);
    for (size_t j = 0; j < values.size(); ++j) {
      uint32_t bits = std::bit_cast<uint32_t>(static_cast<float>(values[j]));
      if constexpr (std::endian::native == std::endian::big) bits = std::byteswap(bits);
      std::memcpy(out.data() + j * 4, &bits, 4);
    }
    return out;
  }
  out.reserve(values.size() * 12 + 2);
  if (format == EmbedFormat::kJson) out.push_back('[');
  for (size_t j = 0; j < values.size(); ++j) {
    if (j > 0) out.push_back(',');
    append_value(out, embeddings, values[j]);
  }
  if (format == EmbedFormat::kJson) out.push_back(']');
  return out;
}

std::vector<size_t> rank_order(std::span<const double> scores, uint64_t top_n) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  auto better = [&](size_t a, size_t b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  };
  size_t keep = (top_n == 0 || top_n > order.size()) ? order.size() : static_cast<size_t>(top_n);
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(),
                    better);
  order.resize(keep);
  return order;
}

namespace {

// Per document: the provider's row, or nothing for a blank document.
std::vector<std::optional<size_t>> computed_rows(const Computed& computed) {
  std::vector<std::optional<size_t>> rows(computed.total);
  for (size_t k = 0; k < computed.positions.size(); ++k) rows[computed.positions[k]] = k;
  return rows;
}

// Scored documents by score, then the blank ones in input order.
std::vector<size_t> ranked_documents(const Computed& computed, uint64_t top_n) {
  std::vector<size_t> order;
  for (size_t k : rank_order(computed.scores, top_n)) order.push_back(computed.positions[k]);
  size_t keep = top_n == 0 ? computed.total : static_cast<size_t>(top_n);
  auto rows = computed_rows(computed);
  for (size_t i = 0; i < computed.total && order.size() < keep; ++i) {
    if (!rows[i]) order.push_back(i);
  }
  return order;
}

std::optional<std::string> score_text(const Computed& computed,
                                      const std::vector<std::optional<size_t>>& rows, size_t i) {
  if (!rows[i]) return std::nullopt;
  return format_double(computed.scores[*rows[i]]);
}

}  // namespace

mysql::ResultSet embed_result(const Computed& computed, EmbedFormat format) {
  mysql::ResultSet rs;
  rs.columns.push_back(embedding_column(format));
  rs.rows.reserve(computed.total);
  for (const auto& k : computed_rows(computed)) {
    if (k) {
      rs.rows.push_back(mysql::Row{format_embedding(computed.embeddings, *k, format)});
    } else {
      rs.rows.push_back(mysql::Row{std::nullopt});
    }
  }
  return rs;
}

mysql::ResultSet rerank_result(const Computed& computed, Documents&& documents, uint64_t top_n,
                               int columns) {
  mysql::ResultSet rs;
  rs.columns.push_back(mysql::Column::bigint("index"));
  rs.columns.push_back(mysql::Column::dbl("score"));
  if (columns == 3) rs.columns.push_back(mysql::Column::text("document"));
  auto rows = computed_rows(computed);
  auto order = ranked_documents(computed, top_n);
  rs.rows.reserve(order.size());
  for (size_t index : order) {
    mysql::Row row{std::to_string(index), score_text(computed, rows, index)};
    if (columns == 3) row.emplace_back(std::move(documents[index]));
    rs.rows.push_back(std::move(row));
  }
  return rs;
}

Result<Documents> documents_from_rows(const mysql::ResultSet& rows, const GenaiSettings& settings) {
  if (rows.columns.empty()) {
    return std::unexpected(invalid_request("document_from_sql returned no columns"));
  }
  if (rows.rows.size() > static_cast<size_t>(settings.max_documents)) {
    return std::unexpected(invalid_request(
        "document_from_sql returned " + std::to_string(rows.rows.size()) +
        " rows, more than genai-max_documents=" + std::to_string(settings.max_documents)));
  }
  Documents docs;
  docs.reserve(rows.rows.size());
  for (const auto& row : rows.rows) docs.push_back(row.empty() ? std::nullopt : row[0]);
  return docs;
}

mysql::ResultSet embed_result_from_sql(mysql::ResultSet&& source, const Computed& computed,
                                       EmbedFormat format) {
  mysql::ResultSet rs = std::move(source);
  rs.columns.push_back(embedding_column(format));
  auto rows = computed_rows(computed);
  for (size_t i = 0; i < rs.rows.size(); ++i) {
    if (rows[i]) {
      rs.rows[i].emplace_back(format_embedding(computed.embeddings, *rows[i], format));
    } else {
      rs.rows[i].emplace_back(std::nullopt);
    }
  }
  return rs;
}

mysql::ResultSet rerank_result_from_sql(mysql::ResultSet&& source, const Computed& computed,
                                        uint64_t top_n) {
  mysql::ResultSet rs;
  rs.columns = std::move(source.columns);
  rs.columns.push_back(mysql::Column::dbl("score"));
  rs.warnings = source.warnings;
  auto rows = computed_rows(computed);
  auto order = ranked_documents(computed, top_n);
  rs.rows.reserve(order.size());
  for (size_t index : order) {
    mysql::Row row = std::move(source.rows[index]);
    row.emplace_back(score_text(computed, rows, index));
    rs.rows.push_back(std::move(row));
  }
  return rs;
}

}  // namespace gp::genai
