// Fuzzes capability discovery's readers of service answers (/props,
// /v1/models, TEI /info, Ollama /api/show) and the verdict of a probe. The
// first byte picks the reader and the reply's status.
// clang-format off
// fuzz-sources: src/genai/discovery.cpp src/genai/endpoint.cpp src/genai/endpoint_health.cpp src/genai/embedding_adapter.cpp src/genai/json_answer.cpp
// clang-format on
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "genai/discovery.h"

namespace {

bool sane(const gp::EndpointFacts& f) {
  return f.dimension >= 0 && f.context_size >= 0 && f.slots >= 0 && f.batch_documents >= 0 &&
         f.batch_tokens >= 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using namespace gp::genai;
  uint8_t selector = data[0];
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  gp::EndpointFacts facts;
  switch (selector % 5) {
    case 0:
      read_llama_props(body, facts);
      break;
    case 1:
      read_models_list(body, "m", facts);
      break;
    case 2:
      read_tei_info(body, facts);
      break;
    case 3:
      read_ollama_show(body, facts);
      break;
    default: {
      static const long statuses[] = {200, 401, 404, 501, 503};
      long status = statuses[(selector >> 3) % 5];
      std::vector<ProbeReply> replies;
      for (auto step :
           {ProbeStep::kHealth, ProbeStep::kProps, ProbeStep::kModels, ProbeStep::kKind}) {
        replies.push_back({step, false, "", status, body});
      }
      facts = interpret_probe(ProbeFormat::kLlama, replies, "m");
      if (facts.state != "ok" && facts.state != "loading" && facts.state != "error") std::abort();
      contradiction(facts, (selector & 4) != 0, 384);
      break;
    }
  }
  if (!sane(facts)) std::abort();
  return 0;
}
