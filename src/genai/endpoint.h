// What the engine needs to call one service, derived once per configuration
// snapshot so that submit() does no string work.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "genai/endpoint_health.h"

namespace gp::genai {

struct ServiceEndpoint {
  std::string service;   // "embedding" or "rerank", for messages
  bool lexical = false;  // the built-in provider (URI "lexical:")
  std::string uri;
  std::string display_uri;  // without user, password, query or fragment
  std::string model;
  std::string authorization;  // "Authorization: Bearer <key>" or empty
  long timeout_ms = 30000;
  std::string timeout_variable;  // e.g. "genai-embedding_timeout_ms"
  bool tei_inputs = false;
};

// A named model as statements use it (genai_models and its endpoints, or
// the implicit default of the genai-* variables).
struct ModelRuntime {
  std::string name;
  bool embed = true;
  std::vector<ServiceEndpoint> endpoints;  // lowest priority first
  std::vector<int> priorities;             // of each endpoint
  std::vector<int> weights;
  std::vector<int> max_concurrency;  // of each endpoint: attempts in flight (0: no limit)
  // Of each endpoint, shared with every snapshot that has it (EndpointRegistry).
  std::vector<std::shared_ptr<EndpointHealth>> health;
  // The vector size every answer must have: the configured one, else the
  // size of the first good answer since the model's configuration last
  // changed (shared with the later snapshots of the same configuration).
  int dimensions = 0;
  std::shared_ptr<std::atomic<int64_t>> learnt_dimensions;
  size_t max_batch_documents = 0;  // 0: genai-batch_size
  size_t max_batch_bytes = 0;      // documents' bytes per upstream request; 0: no limit
  int max_retries = 0;             // the model's own, else genai-max_retries
  int hedge_after_ms = 0;
  int cache_ttl_s = -1;  // -1: genai-cache_ttl_s (the implicit default model)

  // 0: none expected yet.
  int64_t expected_dimensions() const {
    if (dimensions > 0) return dimensions;
    return learnt_dimensions ? learnt_dimensions->load(std::memory_order_relaxed) : 0;
  }
};

// What each model has learnt from its answers (its vector size), kept across
// configuration snapshots for as long as the model's configuration does not
// change. Thread-safe (a mutex taken once per snapshot).
class ModelMemory {
 public:
  // The learnt dimension of the model `name` configured as `fingerprint`;
  // a new one (0) when either changed.
  std::shared_ptr<std::atomic<int64_t>> dimensions(const std::string& name,
                                                   const std::string& fingerprint);
  // Forgets the models not in `keep`.
  void retain(const std::set<std::string>& keep);

 private:
  struct Entry {
    std::string fingerprint;
    std::shared_ptr<std::atomic<int64_t>> dimensions;
  };
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

struct EngineSettings {
  std::shared_ptr<const RuntimeConfig> config;
  // The default models' first endpoints.
  ServiceEndpoint embedding;
  ServiceEndpoint rerank;
  std::map<std::string, std::shared_ptr<const ModelRuntime>> models;
  std::shared_ptr<const ModelRuntime> default_embed;
  std::shared_ptr<const ModelRuntime> default_rerank;

  // The model a statement names (or the default of its kind); an unknown
  // name or a model of the other kind is 9101 naming it.
  Result<const ModelRuntime*> model(const std::optional<std::string>& name, bool embed) const;

  const GenaiSettings& genai() const { return config->genai; }

  // How a model is named in messages: its name, or what defines the implicit default.
  static std::string describe(const ModelRuntime& model);
};

bool is_lexical_uri(std::string_view uri);

// The URI as it may appear in messages and logs: credentials and the query
// string (where API keys sometimes travel) are removed.
std::string display_uri(std::string_view uri);

// `registry`, when given, supplies each endpoint's shared health and forgets
// the endpoints no longer configured; `memory` likewise what each model learnt.
std::shared_ptr<const EngineSettings> make_engine_settings(
    std::shared_ptr<const RuntimeConfig> config, EndpointRegistry* registry = nullptr,
    ModelMemory* memory = nullptr);

}  // namespace gp::genai
