#include "genai/service_error.h"

#include <simdjson.h>

namespace gp::genai {
namespace {

constexpr size_t kMaxRawBytes = 512;

std::string truncate_utf8(std::string_view s) {
  if (s.size() <= kMaxRawBytes) return std::string(s);
  size_t cut = kMaxRawBytes;
  // Never split a multi-byte sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

std::string render(simdjson::dom::element value) {
  std::string_view s;
  if (value.get_string().get(s) == simdjson::SUCCESS) return truncate_utf8(s);
  return truncate_utf8(simdjson::to_string(value));
}

}  // namespace

std::string extract_service_message(std::string_view body) {
  size_t start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return "";
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::object root;
  if (parser.parse(padded).get_object().get(root) == simdjson::SUCCESS) {
    simdjson::dom::element error;
    if (root["error"].get(error) == simdjson::SUCCESS) {
      simdjson::dom::element message;
      if (error.is_object() && error["message"].get(message) == simdjson::SUCCESS) {
        return render(message);
      }
      if (error.is_string()) return render(error);
    }
    for (const char* key : {"message", "detail"}) {
      simdjson::dom::element value;
      if (root[key].get(value) == simdjson::SUCCESS) return render(value);
    }
  }
  size_t end = body.find_last_not_of(" \t\r\n");
  return truncate_utf8(body.substr(start, end - start + 1));
}

}  // namespace gp::genai
