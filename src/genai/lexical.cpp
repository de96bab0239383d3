#include "genai/lexical.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

namespace gp::genai::lexical {
namespace {

constexpr uint64_t kFnvPrime = 1099511628211ull;
constexpr double kK1 = 1.2;
constexpr double kB = 0.75;

bool word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

void add_feature(std::vector<double>& v, uint64_t hash, double weight) {
  size_t bucket = hash % v.size();
  v[bucket] += (hash >> 63) ? -weight : weight;
}

}  // namespace

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  std::string current;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (word_byte(c)) {
      current.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : ch);
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

uint64_t fnv1a(std::string_view bytes, uint64_t seed) {
  uint64_t h = seed;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
  return h;
}

std::vector<double> embed(std::string_view text, int dimensions) {
  std::vector<double> v(static_cast<size_t>(dimensions), 0.0);
  auto tokens = tokenize(text);
  std::vector<uint64_t> features;
  features.reserve(tokens.size() * 2);
  for (size_t i = 0; i < tokens.size(); ++i) {
    uint64_t unigram = fnv1a(tokens[i]);
    features.push_back(unigram);
    // The bigram hash continues over "a b": the space never occurs in a token,
    // so ("ab","c") and ("a","bc") stay distinct.
    if (i + 1 < tokens.size()) features.push_back(fnv1a(tokens[i + 1], fnv1a(" ", unigram)));
  }
  uint64_t raw = fnv1a(text);
  if (features.empty()) features.push_back(raw);
  // Sorted, so that each bucket sums in the same order on every platform.
  std::sort(features.begin(), features.end());
  for (size_t i = 0; i < features.size();) {
    size_t j = i;
    while (j < features.size() && features[j] == features[i]) ++j;
    add_feature(v, features[i], 1.0 + std::log(static_cast<double>(j - i)));
    i = j;
  }
  double norm = 0;
  for (double x : v) norm += x * x;
  if (norm == 0) {
    // Signed features can cancel out exactly; fall back to the raw-bytes
    // feature so that the vector stays a unit vector.
    std::fill(v.begin(), v.end(), 0.0);
    add_feature(v, raw, 1.0);
    norm = 1.0;
  }
  double scale = 1.0 / std::sqrt(norm);
  for (double& x : v) x *= scale;
  return v;
}

Embeddings embed_all(std::span<const std::string> documents, int dimensions) {
  Embeddings out;
  out.count = documents.size();
  out.dimension = static_cast<size_t>(dimensions);
  out.values.reserve(out.count * out.dimension);
  for (const auto& d : documents) {
    auto v = embed(d, dimensions);
    out.values.insert(out.values.end(), v.begin(), v.end());
  }
  return out;
}

std::vector<double> bm25(std::string_view query, std::span<const std::string> documents) {
  auto query_tokens = tokenize(query);
  std::set<std::string> terms(query_tokens.begin(), query_tokens.end());
  size_t n_docs = documents.size();
  std::vector<std::unordered_map<std::string, int>> tf(n_docs);
  std::vector<size_t> length(n_docs, 0);
  std::unordered_map<std::string, int> df;
  double total_length = 0;
  for (size_t i = 0; i < n_docs; ++i) {
    auto tokens = tokenize(documents[i]);
    length[i] = tokens.size();
    total_length += static_cast<double>(tokens.size());
    for (auto& t : tokens) {
      if (terms.contains(t) && ++tf[i][t] == 1) ++df[t];
    }
  }
  std::vector<double> scores(n_docs, 0.0);
  if (n_docs == 0 || total_length == 0) return scores;
  double avg_length = total_length / static_cast<double>(n_docs);
  for (size_t i = 0; i < n_docs; ++i) {
    double norm = kK1 * (1 - kB + kB * static_cast<double>(length[i]) / avg_length);
    // Terms in sorted order: the sum is the same on every platform.
    for (const auto& term : terms) {
      auto it = tf[i].find(term);
      if (it == tf[i].end()) continue;
      double count = it->second;
      double n = df[term];
      double idf = std::log(1 + (static_cast<double>(n_docs) - n + 0.5) / (n + 0.5));
      double f = count;
      scores[i] += idf * f * (kK1 + 1) / (f + norm);
    }
  }
  return scores;
}

}  // namespace gp::genai::lexical
