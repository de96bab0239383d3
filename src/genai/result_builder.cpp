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

mysql::ResultSet embed_result(const Embeddings& embeddings, EmbedFormat format) {
  mysql::ResultSet rs;
  rs.columns.push_back(embedding_column(format));
  rs.rows.reserve(embeddings.count);
  for (size_t i = 0; i < embeddings.count; ++i) {
    rs.rows.push_back(mysql::Row{format_embedding(embeddings, i, format)});
  }
  return rs;
}

mysql::ResultSet rerank_result(std::span<const double> scores, std::vector<std::string>&& documents,
                               uint64_t top_n, int columns) {
  mysql::ResultSet rs;
  rs.columns.push_back(mysql::Column::bigint("index"));
  rs.columns.push_back(mysql::Column::dbl("score"));
  if (columns == 3) rs.columns.push_back(mysql::Column::text("document"));
  auto order = rank_order(scores, top_n);
  rs.rows.reserve(order.size());
  for (size_t index : order) {
    mysql::Row row{std::to_string(index), format_double(scores[index])};
    if (columns == 3) row.emplace_back(std::move(documents[index]));
    rs.rows.push_back(std::move(row));
  }
  return rs;
}

Result<std::vector<std::string>> documents_from_rows(const mysql::ResultSet& rows,
                                                     const GenaiSettings& settings) {
  if (rows.columns.empty()) {
    return std::unexpected(invalid_request("document_from_sql returned no columns"));
  }
  if (rows.rows.size() > static_cast<size_t>(settings.max_documents)) {
    return std::unexpected(invalid_request(
        "document_from_sql returned " + std::to_string(rows.rows.size()) +
        " rows, more than genai-max_documents=" + std::to_string(settings.max_documents)));
  }
  std::vector<std::string> docs;
  docs.reserve(rows.rows.size());
  for (size_t i = 0; i < rows.rows.size(); ++i) {
    const auto& row = rows.rows[i];
    if (row.empty() || !row[0]) {
      return std::unexpected(invalid_request("document_from_sql row " + std::to_string(i + 1) +
                                             ": the document (first column) is NULL"));
    }
    if (row[0]->empty()) {
      return std::unexpected(invalid_request("document_from_sql row " + std::to_string(i + 1) +
                                             ": the document (first column) is empty"));
    }
    docs.push_back(*row[0]);
  }
  return docs;
}

mysql::ResultSet embed_result_from_sql(mysql::ResultSet&& source, const Embeddings& embeddings,
                                       EmbedFormat format) {
  mysql::ResultSet rs = std::move(source);
  rs.columns.push_back(embedding_column(format));
  for (size_t i = 0; i < rs.rows.size(); ++i) {
    rs.rows[i].emplace_back(format_embedding(embeddings, i, format));
  }
  return rs;
}

mysql::ResultSet rerank_result_from_sql(mysql::ResultSet&& source, std::span<const double> scores,
                                        uint64_t top_n) {
  mysql::ResultSet rs;
  rs.columns = std::move(source.columns);
  rs.columns.push_back(mysql::Column::dbl("score"));
  rs.warnings = source.warnings;
  auto order = rank_order(scores, top_n);
  rs.rows.reserve(order.size());
  for (size_t index : order) {
    mysql::Row row = std::move(source.rows[index]);
    row.emplace_back(format_double(scores[index]));
    rs.rows.push_back(std::move(row));
  }
  return rs;
}

}  // namespace gp::genai
