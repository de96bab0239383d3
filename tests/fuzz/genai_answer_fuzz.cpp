// Fuzzes the service answer parsers (embedding and rerank) and the error
// message extraction. The first byte picks the parser and the expected count.
// fuzz-sources: src/genai/embedding_adapter.cpp src/genai/rerank_adapter.cpp
// src/genai/json_answer.cpp src/genai/service_error.cpp
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "genai/embedding_adapter.h"
#include "genai/errors.h"
#include "genai/rerank_adapter.h"
#include "genai/service_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static simdjson::dom::parser parser;
  uint8_t selector = data[0];
  size_t expected = 1 + (selector & 0x0f);
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  switch ((selector >> 4) % 3) {
    case 0: {
      auto r = gp::genai::parse_embedding_answer(body, expected, parser);
      if (r) {
        if (r->count != expected || r->dimension == 0) std::abort();
        if (r->values.size() != r->count * r->dimension) std::abort();
        for (double v : r->values) {
          if (!std::isfinite(v)) std::abort();
        }
      } else if (r.error().code != gp::errc::kGenaiInvalidAnswer) {
        std::abort();
      }
      break;
    }
    case 1: {
      auto r = gp::genai::parse_rerank_answer(body, expected, parser);
      if (r) {
        if (r->size() != expected) std::abort();
        for (double v : *r) {
          if (!std::isfinite(v)) std::abort();
        }
      } else if (r.error().code != gp::errc::kGenaiInvalidAnswer) {
        std::abort();
      }
      break;
    }
    default: {
      std::string m = gp::genai::extract_service_message(body);
      if (m.size() > 600 && m.size() > body.size()) std::abort();
      break;
    }
  }
  return 0;
}
