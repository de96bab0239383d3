// Fuzzes the GENAI: statement parser: any bytes must give a request or an
// invalid-request error, never a crash.
// fuzz-sources: src/genai/request.cpp src/genai/parameters.cpp src/sql/*.cpp src/mysql/*.cpp
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "genai/errors.h"
#include "genai/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  gp::GenaiSettings settings;
  settings.max_documents = 64;
  (void)gp::genai::is_genai_statement(text);
  auto r = gp::genai::parse_genai_statement(text, settings);
  if (r) {
    bool has_docs = !r->documents.empty();
    if (has_docs == r->document_from_sql.has_value()) std::abort();
    if (r->documents.size() > 64) std::abort();
    if (r->columns != 2 && r->columns != 3) std::abort();
  } else if (r.error().code != gp::errc::kGenaiInvalidRequest) {
    std::abort();
  }
  return 0;
}
