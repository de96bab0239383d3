#include "genai/embedding_adapter.h"

#include <openssl/evp.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "genai/errors.h"
#include "genai/json_answer.h"

namespace gp::genai {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

std::unexpected<Error> fail(std::string message) {
  return std::unexpected(invalid_answer(std::move(message)));
}

// Places vectors by document index and checks that all have one dimension and
// that every index arrives exactly once.
class Collector {
 public:
  explicit Collector(size_t count) : seen_(count, false) { out_.count = count; }

  Result<void> put(size_t index, array values) {
    if (auto r = claim(index, values.size()); !r) return r;
    double* dest = out_.values.data() + index * out_.dimension;
    size_t j = 0;
    for (element v : values) {
      // The message is built only for a value that fails: answers carry
      // thousands of values.
      double d;
      if (v.get_double().get(d) == simdjson::SUCCESS && std::isfinite(d)) {
        dest[j++] = d;
        continue;
      }
      auto checked =
          finite_number(v, "embedding " + std::to_string(index) + " value " + std::to_string(j));
      if (!checked) return std::unexpected(checked.error());
      dest[j++] = *checked;
    }
    return {};
  }

  Result<void> put_base64(size_t index, std::string_view text) {
    // EVP_DecodeBlock counts '=' padding as decoded zero bytes.
    size_t pad = 0;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
    if (text.size() % 4 != 0)
      return fail("embedding " + std::to_string(index) + " is not valid base64");
    std::vector<unsigned char> bytes(text.size() / 4 * 3);
    int n = EVP_DecodeBlock(bytes.data(), reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
    if (n < 0) return fail("embedding " + std::to_string(index) + " is not valid base64");
    size_t len = static_cast<size_t>(n) - pad;
    if (len % 4 != 0) {
      return fail("embedding " + std::to_string(index) +
                  " is not a whole number of float32 values");
    }
    if (auto r = claim(index, len / 4); !r) return r;
    out_.single_precision = true;
    double* dest = out_.values.data() + index * out_.dimension;
    for (size_t j = 0; j < len / 4; ++j) {
      uint32_t bits;
      std::memcpy(&bits, bytes.data() + j * 4, 4);
      if constexpr (std::endian::native == std::endian::big) bits = std::byteswap(bits);
      float f = std::bit_cast<float>(bits);
      if (!std::isfinite(f)) {
        return fail("embedding " + std::to_string(index) + " value " + std::to_string(j) +
                    " is not finite");
      }
      dest[j] = f;
    }
    return {};
  }

  Result<Embeddings> finish() {
    for (size_t i = 0; i < seen_.size(); ++i) {
      if (!seen_[i]) return fail("no embedding for document " + std::to_string(i));
    }
    return std::move(out_);
  }

 private:
  Result<void> claim(size_t index, size_t dimension) {
    if (seen_[index]) return fail("index " + std::to_string(index) + " appears twice");
    seen_[index] = true;
    if (dimension == 0) return fail("embedding " + std::to_string(index) + " is empty");
    if (out_.dimension == 0) {
      out_.dimension = dimension;
      out_.values.assign(out_.count * dimension, 0.0);
    } else if (dimension != out_.dimension) {
      return fail("embedding " + std::to_string(index) + " has " + std::to_string(dimension) +
                  " values, others have " + std::to_string(out_.dimension));
    }
    return {};
  }

  Embeddings out_;
  std::vector<bool> seen_;
};

Result<void> check_count(size_t got, size_t expected) {
  if (got != expected) {
    return fail("expected " + std::to_string(expected) + " embeddings, the answer has " +
                std::to_string(got));
  }
  return {};
}

// llama-server native answers nest one vector per pooled input ([[...]]);
// several inner vectors mean per-token output (--pooling none).
Result<array> pooled_vector(element embedding, size_t index) {
  array outer;
  if (embedding.get_array().get(outer) != simdjson::SUCCESS) {
    return fail("embedding " + std::to_string(index) + " is not an array");
  }
  if (outer.size() > 0 && outer.at(0).value_unsafe().is_array()) {
    if (outer.size() != 1) {
      return fail("embedding " + std::to_string(index) + " has " + std::to_string(outer.size()) +
                  " vectors (one per token): start the service with a pooling mode such as "
                  "--pooling mean");
    }
    array inner;
    if (outer.at(0).get_array().get(inner) != simdjson::SUCCESS) {
      return fail("embedding " + std::to_string(index) + " is not an array");
    }
    return inner;
  }
  return outer;
}

// [{"index","embedding"}] (llama-server native) and OpenAI's data[].
Result<Embeddings> indexed_items(array items, size_t expected) {
  if (auto r = check_count(items.size(), expected); !r) return std::unexpected(r.error());
  Collector collector(expected);
  size_t position = 0;
  for (element item : items) {
    object obj;
    if (item.get_object().get(obj) != simdjson::SUCCESS) {
      return fail("item " + std::to_string(position) + " is not an object");
    }
    auto index = answer_index(obj, position, expected);
    if (!index) return std::unexpected(index.error());
    element embedding;
    if (obj["embedding"].get(embedding) != simdjson::SUCCESS) {
      return fail("item " + std::to_string(position) + " has no \"embedding\" field");
    }
    Result<void> r;
    if (std::string_view b64; embedding.get_string().get(b64) == simdjson::SUCCESS) {
      r = collector.put_base64(*index, b64);
    } else {
      auto vec = pooled_vector(embedding, *index);
      if (!vec) return std::unexpected(vec.error());
      r = collector.put(*index, *vec);
    }
    if (!r) return std::unexpected(r.error());
    ++position;
  }
  return collector.finish();
}

// TEI /embed and Ollama: a list of vectors in input order by definition.
Result<Embeddings> positional_vectors(array vectors, size_t expected) {
  if (auto r = check_count(vectors.size(), expected); !r) return std::unexpected(r.error());
  Collector collector(expected);
  size_t i = 0;
  for (element v : vectors) {
    array vec;
    if (v.get_array().get(vec) != simdjson::SUCCESS) {
      return fail("embedding " + std::to_string(i) + " is not an array");
    }
    if (auto r = collector.put(i, vec); !r) return std::unexpected(r.error());
    ++i;
  }
  return collector.finish();
}

constexpr std::string_view kShapes =
    "expected [{\"index\",\"embedding\"}], {\"data\":[...]}, [[...]], {\"embeddings\":[...]} or "
    "{\"embedding\":[...]}";

}  // namespace

bool uses_tei_inputs(std::string_view uri) {
  size_t end = uri.find_first_of("?#");
  if (end != std::string_view::npos) uri = uri.substr(0, end);
  while (!uri.empty() && uri.back() == '/') uri.remove_suffix(1);
  // Ollama's /api/embed takes "input" like everyone else.
  return uri.ends_with("/embed") && !uri.ends_with("/api/embed");
}

std::string build_embedding_body(std::span<std::string> documents, std::string_view model,
                                 bool tei_inputs) {
  nlohmann::json list = nlohmann::json::array();
  list.get_ref<nlohmann::json::array_t&>().reserve(documents.size());
  for (auto& d : documents) list.push_back(std::move(d));
  nlohmann::json body = nlohmann::json::object();
  if (!model.empty()) body["model"] = model;
  auto& slot = body[tei_inputs ? "inputs" : "input"];
  slot = std::move(list);
  std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto& items = slot.get_ref<nlohmann::json::array_t&>();
  for (size_t i = 0; i < documents.size(); ++i) {
    documents[i] = std::move(items[i].get_ref<std::string&>());
  }
  return text;
}

Result<Embeddings> parse_embedding_answer(std::string& body, size_t expected,
                                          simdjson::dom::parser& parser) {
  element root;
  if (auto err = parse_answer(parser, body, root); err != simdjson::SUCCESS) {
    return fail(std::string("answer is not valid JSON: ") + simdjson::error_message(err));
  }
  if (expected == 0) return fail("no documents were sent");
  if (array items; root.get_array().get(items) == simdjson::SUCCESS) {
    if (items.size() == 0) return std::unexpected(check_count(0, expected).error());
    element first = items.at(0).value_unsafe();
    if (first.is_object()) return indexed_items(items, expected);
    if (first.is_array()) return positional_vectors(items, expected);
    return fail(std::string("unrecognised answer shape: ") + std::string(kShapes));
  }
  object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    return fail(std::string("unrecognised answer shape: ") + std::string(kShapes));
  }
  auto with_tokens = [&](Result<Embeddings> r) {
    if (r) r->upstream_tokens = reported_tokens(root);
    return r;
  };
  if (array data; obj["data"].get_array().get(data) == simdjson::SUCCESS) {
    return with_tokens(indexed_items(data, expected));
  }
  if (array vectors; obj["embeddings"].get_array().get(vectors) == simdjson::SUCCESS) {
    return with_tokens(positional_vectors(vectors, expected));
  }
  if (element single; obj["embedding"].get(single) == simdjson::SUCCESS) {
    if (auto r = check_count(1, expected); !r) return std::unexpected(r.error());
    auto vec = pooled_vector(single, 0);
    if (!vec) return std::unexpected(vec.error());
    Collector collector(1);
    if (auto r = collector.put(0, *vec); !r) return std::unexpected(r.error());
    return collector.finish();
  }
  return fail(std::string("unrecognised answer shape: ") + std::string(kShapes));
}

}  // namespace gp::genai
