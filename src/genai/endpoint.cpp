#include "genai/endpoint.h"

#include <curl/curl.h>

#include "genai/embedding_adapter.h"

namespace gp::genai {
namespace {

ServiceEndpoint make_endpoint(std::string service, const std::string& uri, const std::string& model,
                              const std::string& api_key, int timeout_ms) {
  ServiceEndpoint e;
  e.lexical = is_lexical_uri(uri);
  e.uri = uri;
  e.display_uri = e.lexical ? uri : display_uri(uri);
  e.model = model;
  if (!api_key.empty()) e.authorization = "Authorization: Bearer " + api_key;
  e.timeout_ms = timeout_ms;
  e.timeout_variable = "genai-" + service + "_timeout_ms";
  e.tei_inputs = service == "embedding" && uses_tei_inputs(uri);
  e.service = std::move(service);
  return e;
}

}  // namespace

bool is_lexical_uri(std::string_view uri) {
  constexpr std::string_view kScheme = "lexical:";
  if (uri.size() < kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = uri[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return false;
  }
  return true;
}

std::string display_uri(std::string_view uri) {
  std::string input(uri);
  std::string out;
  CURLU* u = curl_url();
  if (u && curl_url_set(u, CURLUPART_URL, input.c_str(), 0) == CURLUE_OK) {
    curl_url_set(u, CURLUPART_USER, nullptr, 0);
    curl_url_set(u, CURLUPART_PASSWORD, nullptr, 0);
    curl_url_set(u, CURLUPART_OPTIONS, nullptr, 0);
    curl_url_set(u, CURLUPART_QUERY, nullptr, 0);
    curl_url_set(u, CURLUPART_FRAGMENT, nullptr, 0);
    char* text = nullptr;
    if (curl_url_get(u, CURLUPART_URL, &text, 0) == CURLUE_OK && text) {
      out = text;
      curl_free(text);
    }
  }
  curl_url_cleanup(u);
  if (out.empty()) {
    // Not a URL curl understands: show only what cannot hold a secret.
    size_t at = input.find('@');
    size_t scheme = input.find("://");
    if (at != std::string::npos && scheme != std::string::npos && at > scheme) {
      input.erase(scheme + 3, at - scheme - 2);
    }
    out = input.substr(0, input.find_first_of("?#"));
  }
  return out;
}

std::shared_ptr<const EngineSettings> make_engine_settings(
    std::shared_ptr<const RuntimeConfig> config) {
  auto s = std::make_shared<EngineSettings>();
  const auto& g = config->genai;
  s->embedding = make_endpoint("embedding", g.embedding_uri, g.embedding_model, g.embedding_api_key,
                               g.embedding_timeout_ms);
  s->rerank =
      make_endpoint("rerank", g.rerank_uri, g.rerank_model, g.rerank_api_key, g.rerank_timeout_ms);
  s->config = std::move(config);
  return s;
}

}  // namespace gp::genai
