// What a service endpoint says about the model it serves (capability
// discovery, SPEC-MODELS §2): found by the GenAI engine's probes, shown by
// the admin module in runtime_genai_endpoints. Plain values.
#pragma once

#include <cstdint>
#include <string>

namespace gp {

struct EndpointFacts {
  // "not_probed", "ok", "loading", "unreachable", "error"
  std::string state = "not_probed";
  std::string detail;        // why a probe failed, or why there is nothing to probe
  std::string model_id;      // as the service names it
  std::string kind;          // "embed", "rerank" (or what else the service says it is)
  int64_t dimension = 0;     // unknown numbers are 0
  int64_t context_size = 0;  // tokens an input may have
  int64_t slots = 0;         // requests served at once (llama-server)
  int64_t batch_documents = 0;
  int64_t batch_tokens = 0;
  int64_t probed_at = 0;  // unix seconds; 0: never
};

// One endpoint of a named model (the key of runtime_genai_endpoints) and its facts.
struct EndpointDiscovery {
  std::string model;
  std::string uri;  // as configured
  EndpointFacts facts;
  std::string warning;  // what contradicts the configuration; empty: nothing
};

}  // namespace gp
