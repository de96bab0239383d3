// GENAI: statement recognition and validation (SPEC-GENAI §1-§2).
#include "genai/request.h"

#include <simdjson.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "genai/errors.h"
#include "genai/parameters.h"

namespace gp::genai {
namespace {

constexpr std::string_view kPrefix = "GENAI:";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// simdjson reports what is wrong but not where; nlohmann's SAX parser gives
// the byte position. Only used on the error path.
class ErrorLocator : public nlohmann::json_sax<nlohmann::json> {
 public:
  size_t position = 0;
  bool failed = false;
  bool trailing = false;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t pos, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    failed = true;
    position = pos;
    trailing =
        std::string_view(ex.what()).find("; expected end of input") != std::string_view::npos;
    return false;
  }
};

// simdjson refuses integers beyond 64 bits as a number error for the whole
// document; name the key that holds one.
std::optional<Error> big_integer_error(std::string_view json) {
  auto request = nlohmann::json::parse(json, nullptr, false);
  if (!request.is_object()) return std::nullopt;
  for (const auto& [key, value] : request.items()) {
    double v = value.is_number_float() ? value.get<double>() : 0;
    if (value.is_number_float() && std::floor(v) == v && std::fabs(v) >= 0x1p63) {
      return invalid_request("'" + key + "' is out of range: " + value.dump() +
                             " does not fit in 64 bits");
    }
  }
  return std::nullopt;
}

Error json_error(std::string_view json, simdjson::error_code code) {
  if (code == simdjson::NUMBER_ERROR) {
    if (auto named = big_integer_error(json)) return *named;
  }
  ErrorLocator locator;
  nlohmann::json::sax_parse(json, &locator, nlohmann::json::input_format_t::json, true, false);
  if (locator.failed) {
    size_t offset = locator.position > 0 ? locator.position - 1 : 0;
    if (locator.trailing) {
      return invalid_request("unexpected text after the JSON object at byte " +
                             std::to_string(offset) + " of the request");
    }
    return invalid_request("invalid JSON at byte " + std::to_string(offset) + ": " +
                           simdjson::error_message(code));
  }
  return invalid_request(std::string("invalid JSON: ") + simdjson::error_message(code));
}

constexpr std::string_view kEmbedKeys = "type, model, documents, document_from_sql, format";
constexpr std::string_view kRerankKeys =
    "type, model, query, documents, document_from_sql, top_n, columns";

bool accepted(RequestType type, std::string_view key) {
  if (key == "type" || key == "model" || key == "documents" || key == "document_from_sql") {
    return true;
  }
  if (type == RequestType::kEmbed) return key == "format";
  return key == "query" || key == "top_n" || key == "columns";
}

std::string_view json_type_name(simdjson::dom::element_type t) {
  using T = simdjson::dom::element_type;
  switch (t) {
    case T::ARRAY:
      return "an array";
    case T::OBJECT:
      return "an object";
    case T::INT64:
    case T::UINT64:
      return "an integer";
    case T::DOUBLE:
      return "a number";
    case T::STRING:
      return "a string";
    case T::BOOL:
      return "a boolean";
    case T::NULL_VALUE:
      return "null";
  }
  return "a value";
}

Error wrong_type(std::string_view key, std::string_view expected, simdjson::dom::element value) {
  return invalid_request("'" + std::string(key) + "' must be " + std::string(expected) + ", not " +
                         std::string(json_type_name(value.type())));
}

Result<std::string> non_empty_string(std::string_view key, simdjson::dom::element value) {
  std::string_view s;
  if (value.get_string().get(s) != simdjson::SUCCESS)
    return std::unexpected(wrong_type(key, "a string", value));
  if (s.empty())
    return std::unexpected(invalid_request("'" + std::string(key) + "' must not be empty"));
  return std::string(s);
}

// Integers only: 3.0 or "3" are refused so that a typo never passes silently.
Result<uint64_t> non_negative_integer(std::string_view key, simdjson::dom::element value) {
  using T = simdjson::dom::element_type;
  if (value.type() == T::UINT64) return value.get_uint64().value_unsafe();
  if (value.type() == T::INT64) {
    int64_t v = value.get_int64().value_unsafe();
    if (v < 0) {
      return std::unexpected(
          invalid_request("'" + std::string(key) + "' must be >= 0, got " + std::to_string(v)));
    }
    return static_cast<uint64_t>(v);
  }
  return std::unexpected(wrong_type(key, "an integer", value));
}

Result<Documents> document_list(simdjson::dom::element value, const GenaiSettings& settings) {
  simdjson::dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    return std::unexpected(wrong_type("documents", "an array of strings", value));
  }
  size_t count = array.size();
  if (count == 0) return std::unexpected(invalid_request("'documents' must not be empty"));
  if (count > static_cast<size_t>(settings.max_documents)) {
    return std::unexpected(invalid_request(
        "'documents' has " + std::to_string(count) +
        " items, more than genai-max_documents=" + std::to_string(settings.max_documents)));
  }
  Documents docs;
  docs.reserve(count);
  size_t i = 0;
  for (simdjson::dom::element item : array) {
    std::string_view s;
    if (item.is_null()) {
      docs.emplace_back(std::nullopt);
    } else if (item.get_string().get(s) == simdjson::SUCCESS) {
      docs.emplace_back(std::string(s));
    } else {
      return std::unexpected(invalid_request("'documents[" + std::to_string(i) +
                                             "]' must be a string or null, not " +
                                             std::string(json_type_name(item.type()))));
    }
    ++i;
  }
  return docs;
}

Result<EmbedFormat> embed_format(simdjson::dom::element value) {
  std::string_view s;
  if (value.get_string().get(s) != simdjson::SUCCESS) {
    return std::unexpected(wrong_type("format", "a string", value));
  }
  if (s == "csv") return EmbedFormat::kCsv;
  if (s == "json") return EmbedFormat::kJson;
  if (s == "binary") return EmbedFormat::kBinary;
  return std::unexpected(invalid_request(
      "'format' must be \"csv\", \"json\" or \"binary\", not \"" + std::string(s) + "\""));
}

Result<GenaiRequest> from_object(simdjson::dom::object object, const GenaiSettings& settings) {
  // The DOM keeps duplicate keys; refuse them rather than pick one.
  std::vector<std::string_view> seen;
  simdjson::dom::element type_value;
  bool has_type = false;
  for (auto field : object) {
    for (auto k : seen) {
      if (k == field.key) {
        return std::unexpected(invalid_request("duplicate key '" + std::string(field.key) + "'"));
      }
    }
    seen.push_back(field.key);
    if (field.key == "type") {
      type_value = field.value;
      has_type = true;
    }
  }
  if (!has_type)
    return std::unexpected(invalid_request("missing key 'type' (\"embed\" or \"rerank\")"));
  std::string_view type_name;
  if (type_value.get_string().get(type_name) != simdjson::SUCCESS) {
    return std::unexpected(wrong_type("type", "\"embed\" or \"rerank\"", type_value));
  }
  GenaiRequest req;
  if (type_name == "embed") {
    req.type = RequestType::kEmbed;
  } else if (type_name == "rerank") {
    req.type = RequestType::kRerank;
  } else {
    return std::unexpected(invalid_request("'type' must be \"embed\" or \"rerank\", not \"" +
                                           std::string(type_name) + "\""));
  }
  for (auto field : object) {
    if (!accepted(req.type, field.key)) {
      return std::unexpected(
          invalid_request("unknown key '" + std::string(field.key) + "' for type " +
                          std::string(type_name) + "; accepted keys: " +
                          std::string(req.type == RequestType::kEmbed ? kEmbedKeys : kRerankKeys)));
    }
  }

  bool has_documents = false;
  bool has_query = false;
  for (auto field : object) {
    std::string_view key = field.key;
    if (key == "documents") {
      auto docs = document_list(field.value, settings);
      if (!docs) return std::unexpected(docs.error());
      req.documents = std::move(*docs);
      has_documents = true;
    } else if (key == "document_from_sql") {
      auto sql = non_empty_string(key, field.value);
      if (!sql) return std::unexpected(sql.error());
      req.document_from_sql = std::move(*sql);
    } else if (key == "model") {
      auto model = non_empty_string(key, field.value);
      if (!model) return std::unexpected(model.error());
      req.model = std::move(*model);
    } else if (key == "format") {
      auto format = embed_format(field.value);
      if (!format) return std::unexpected(format.error());
      req.format = *format;
    } else if (key == "query") {
      auto query = non_empty_string(key, field.value);
      if (!query) return std::unexpected(query.error());
      req.query = std::move(*query);
      has_query = true;
    } else if (key == "top_n") {
      auto top_n = non_negative_integer(key, field.value);
      if (!top_n) return std::unexpected(top_n.error());
      req.top_n = *top_n;
    } else if (key == "columns") {
      auto columns = non_negative_integer(key, field.value);
      if (!columns) return std::unexpected(columns.error());
      if (*columns != 2 && *columns != 3) {
        return std::unexpected(invalid_request(
            "'columns' must be 2 (index, score) or 3 (index, score, document), not " +
            std::to_string(*columns)));
      }
      req.columns = static_cast<int>(*columns);
    }
  }
  if (has_documents && req.document_from_sql) {
    return std::unexpected(
        invalid_request("'documents' and 'document_from_sql' are exclusive: give only one"));
  }
  if (!has_documents && !req.document_from_sql) {
    return std::unexpected(invalid_request("missing key 'documents' (or 'document_from_sql')"));
  }
  if (req.type == RequestType::kRerank && !has_query) {
    return std::unexpected(invalid_request("missing key 'query' (required for type rerank)"));
  }
  return req;
}

}  // namespace

bool is_blank_document(const std::optional<std::string>& document) {
  return !document || trim(*document).empty();
}

bool is_genai_statement(std::string_view sql) {
  while (!sql.empty() && is_space(sql.front())) sql.remove_prefix(1);
  if (sql.size() < kPrefix.size()) return false;
  for (size_t i = 0; i < kPrefix.size(); ++i) {
    char c = sql[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != kPrefix[i]) return false;
  }
  return true;
}

Result<GenaiRequest> parse_genai_statement(std::string_view sql, const GenaiSettings& settings) {
  if (!is_genai_statement(sql))
    return std::unexpected(invalid_request("statement must start with GENAI:"));
  auto json_text = genai_json(sql);
  if (!json_text) return std::unexpected(json_text.error());
  std::string_view json = trim(*json_text);
  if (!json.empty() && json.back() == ';') json = trim(json.substr(0, json.size() - 1));
  if (json.empty()) {
    return std::unexpected(
        invalid_request("expected a JSON object after GENAI:, e.g. "
                        "GENAI: {\"type\":\"embed\",\"documents\":[\"text\"]}"));
  }
  // Network threads parse many small statements: one parser per thread keeps
  // its buffers warm.
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS) {
    return std::unexpected(json_error(json, err));
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return std::unexpected(invalid_request(std::string("the request must be a JSON object, not ") +
                                           std::string(json_type_name(root.type()))));
  }
  return from_object(object, settings);
}

}  // namespace gp::genai
