// What the engine needs to call one service, derived once per configuration
// snapshot so that submit() does no string work.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/config.h"

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

struct EngineSettings {
  std::shared_ptr<const RuntimeConfig> config;
  ServiceEndpoint embedding;
  ServiceEndpoint rerank;

  const GenaiSettings& genai() const { return config->genai; }
};

bool is_lexical_uri(std::string_view uri);

// The URI as it may appear in messages and logs: credentials and the query
// string (where API keys sometimes travel) are removed.
std::string display_uri(std::string_view uri);

std::shared_ptr<const EngineSettings> make_engine_settings(
    std::shared_ptr<const RuntimeConfig> config);

}  // namespace gp::genai
