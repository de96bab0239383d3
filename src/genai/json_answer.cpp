#include "genai/json_answer.h"

#include <cmath>

#include "genai/errors.h"

namespace gp::genai {

Result<double> finite_number(simdjson::dom::element value, std::string_view what) {
  double d;
  if (value.is_null()) {
    return std::unexpected(
        invalid_answer(std::string(what) + " is null (the model produced NaN or infinity?)"));
  }
  if (value.get_double().get(d) != simdjson::SUCCESS) {
    return std::unexpected(invalid_answer(std::string(what) + " is not a number"));
  }
  if (!std::isfinite(d))
    return std::unexpected(invalid_answer(std::string(what) + " is not finite"));
  return d;
}

Result<size_t> answer_index(simdjson::dom::object item, size_t position, size_t count) {
  simdjson::dom::element value;
  if (item["index"].get(value) != simdjson::SUCCESS) {
    return std::unexpected(
        invalid_answer("item " + std::to_string(position) + " has no \"index\" field"));
  }
  int64_t index;
  if (value.get_int64().get(index) != simdjson::SUCCESS) {
    return std::unexpected(
        invalid_answer("item " + std::to_string(position) + " has a non-integer \"index\""));
  }
  if (index < 0 || static_cast<uint64_t>(index) >= count) {
    return std::unexpected(invalid_answer("index " + std::to_string(index) +
                                          " is out of range (expected 0.." +
                                          std::to_string(count - 1) + ")"));
  }
  return static_cast<size_t>(index);
}

uint64_t reported_tokens(simdjson::dom::element root) {
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) return 0;
  auto count = [](simdjson::dom::object o, const char* key) -> uint64_t {
    uint64_t n = 0;
    return o[key].get_uint64().get(n) == simdjson::SUCCESS ? n : 0;
  };
  if (simdjson::dom::object usage; obj["usage"].get_object().get(usage) == simdjson::SUCCESS) {
    if (uint64_t total = count(usage, "total_tokens")) return total;
    return count(usage, "prompt_tokens");
  }
  simdjson::dom::object billed;
  if (obj.at_pointer("/meta/billed_units").get_object().get(billed) == simdjson::SUCCESS) {
    return count(billed, "input_tokens");
  }
  return count(obj, "prompt_eval_count");
}

}  // namespace gp::genai
