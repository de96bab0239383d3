// Capability discovery (SPEC-MODELS §2): what each endpoint says about the
// model it serves, read from the probes its format allows, and where that
// contradicts the configuration. Pure: URIs and answers in, values out; the
// prober (genai/prober.h) sends the requests.
//
// Probes by format: llama-server GET /health, /props, /v1/models and one
// request of the model's own kind (its metadata does not say whether it pools
// for ranking); TEI GET /info; Ollama POST /api/show; OpenAI-style and vLLM
// GET /v1/models. Cohere, Jina and the lexical provider have nothing to probe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint_facts.h"

namespace gp::genai {

enum class ProbeFormat { kNone, kLlama, kTei, kOllama, kOpenai };

// The probes that apply to an endpoint: those of the model's format, or for
// `auto` what the URI says as the request path reads it (".../api/embed":
// Ollama, ".../embed": TEI, else llama-server, whose /v1/models also answers
// OpenAI-style clients). `lexical:` URIs and cohere/jina: kNone.
ProbeFormat probe_format(std::string_view format, std::string_view uri);

// `uri` with its request path (/embedding, /v1/embeddings, /rerank, /embed,
// /api/embed, ...) replaced by `path`; a prefix before it and the query string
// are kept.
std::string probe_url(std::string_view uri, std::string_view path);

enum class ProbeStep { kHealth, kProps, kModels, kKind, kTeiInfo, kOllamaShow };
const char* probe_step_path(ProbeStep step);  // "/health", ..., "(request)" for kKind

struct ProbeRequest {
  ProbeStep step;
  std::string url;
  std::string body;  // empty: GET
};

// The first requests of one probe of an endpoint, sent together.
std::vector<ProbeRequest> probe_plan(ProbeFormat format, std::string_view uri,
                                     std::string_view provider_model);

struct ProbeReply {
  ProbeStep step;
  bool transport_failed = false;
  std::string transport_error;  // a class ("Couldn't connect to server"), never a host
  long status = 0;
  std::string body;
};

// The request that follows them, if any: a llama-server (its /props
// answered) is asked whether it reranks, with `rerank_body` (a one-document
// rerank request) sent to the endpoint's URI for a rerank model, to its
// /rerank for an embed model. It reranks only when started with --pooling
// rank, and then embeds nothing meaningful; otherwise it answers 501. Nothing
// it publishes says so.
std::optional<ProbeRequest> kind_request(ProbeFormat format, std::string_view uri, bool embed,
                                         std::span<const ProbeReply> replies,
                                         std::string rerank_body);

// The facts the replies of one probe give.
EndpointFacts interpret_probe(ProbeFormat format, std::span<const ProbeReply> replies,
                              std::string_view provider_model);

// The answers, each alone (unit-tested); they fill what they know.
bool read_llama_props(std::string_view body, EndpointFacts& facts);
bool read_models_list(std::string_view body, std::string_view provider_model, EndpointFacts& facts);
bool read_tei_info(std::string_view body, EndpointFacts& facts);
bool read_ollama_show(std::string_view body, EndpointFacts& facts);
// llama-server's "Loading model" 503.
bool is_loading_answer(long status, std::string_view body);

// A dimension or kind the endpoint reports that contradicts the model's
// configuration (`dimensions` 0: not configured); empty when none.
std::string contradiction(const EndpointFacts& facts, bool embed, int dimensions);

// One endpoint's latest facts, kept beside its health in the
// EndpointRegistry so that it survives reloads. Thread-safe.
class DiscoveryRecord {
 public:
  struct Snapshot {
    EndpointFacts facts;
    std::string warning;
  };
  Snapshot get() const;
  // Stores a probe's outcome; returns true when `warning` differs from the
  // one stored before (the caller logs it once per change). A probe older
  // than the stored one (`round`) is dropped.
  bool put(uint64_t round, EndpointFacts facts, std::string warning);

 private:
  mutable std::mutex mutex_;
  uint64_t round_ = 0;
  Snapshot value_;
};

}  // namespace gp::genai
