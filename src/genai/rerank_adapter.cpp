#include "genai/rerank_adapter.h"

#include <cmath>
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

Result<std::vector<double>> scores_from(array items, size_t expected) {
  if (items.size() != expected) {
    return fail("expected " + std::to_string(expected) + " scores, the answer has " +
                std::to_string(items.size()));
  }
  std::vector<double> scores(expected, 0.0);
  std::vector<bool> seen(expected, false);
  size_t position = 0;
  for (element item : items) {
    object obj;
    if (item.get_object().get(obj) != simdjson::SUCCESS) {
      return fail("result " + std::to_string(position) + " is not an object");
    }
    auto index = answer_index(obj, position, expected);
    if (!index) return std::unexpected(index.error());
    if (seen[*index]) return fail("index " + std::to_string(*index) + " appears twice");
    seen[*index] = true;
    element score;
    if (obj["relevance_score"].get(score) != simdjson::SUCCESS &&
        obj["score"].get(score) != simdjson::SUCCESS) {
      return fail("result " + std::to_string(position) +
                  " has no \"relevance_score\" or \"score\" field");
    }
    double d;
    if (score.get_double().get(d) != simdjson::SUCCESS || !std::isfinite(d)) {
      auto value = finite_number(score, "score of document " + std::to_string(*index));
      if (!value) return std::unexpected(value.error());
      d = *value;
    }
    scores[*index] = d;
    ++position;
  }
  return scores;
}

}  // namespace

std::string build_rerank_body(std::string_view query, std::span<std::string> documents,
                              std::string_view model) {
  nlohmann::json list = nlohmann::json::array();
  list.get_ref<nlohmann::json::array_t&>().reserve(documents.size());
  for (auto& d : documents) list.push_back(std::move(d));
  nlohmann::json body = nlohmann::json::object();
  if (!model.empty()) body["model"] = model;
  body["query"] = query;
  body["top_n"] = documents.size();
  auto& slot = body["documents"];
  slot = std::move(list);
  std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto& items = slot.get_ref<nlohmann::json::array_t&>();
  for (size_t i = 0; i < documents.size(); ++i) {
    documents[i] = std::move(items[i].get_ref<std::string&>());
  }
  return text;
}

Result<std::vector<double>> parse_rerank_answer(std::string& body, size_t expected,
                                                simdjson::dom::parser& parser,
                                                uint64_t* upstream_tokens) {
  element root;
  if (auto err = parse_answer(parser, body, root); err != simdjson::SUCCESS) {
    return fail(std::string("answer is not valid JSON: ") + simdjson::error_message(err));
  }
  if (upstream_tokens) *upstream_tokens = reported_tokens(root);
  if (array items; root.get_array().get(items) == simdjson::SUCCESS) {
    return scores_from(items, expected);
  }
  if (array results; root["results"].get_array().get(results) == simdjson::SUCCESS) {
    return scores_from(results, expected);
  }
  return fail(
      "unrecognised answer shape: expected {\"results\":[{\"index\",\"relevance_score\"}]} or "
      "[{\"index\",\"score\"}]");
}

}  // namespace gp::genai
