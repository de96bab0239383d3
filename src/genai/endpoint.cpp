#include "genai/endpoint.h"

#include <curl/curl.h>

#include <algorithm>
#include <set>

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

// Everything of a model's configuration that could change the size of its
// vectors: its row and its endpoints.
std::string fingerprint(const GenaiModel& m, const std::vector<const GenaiModelEndpoint*>& eps,
                        const std::string& key) {
  std::string f = m.kind + '\n' + m.provider_model + '\n' + m.format + '\n' + m.credential + '\n' +
                  std::to_string(m.dimensions) + '\n' +
                  std::to_string(std::hash<std::string>{}(key));
  for (const auto* e : eps) f += '\n' + e->uri;
  return f;
}

}  // namespace

std::shared_ptr<std::atomic<int64_t>> ModelMemory::dimensions(const std::string& name,
                                                              const std::string& fingerprint) {
  std::lock_guard lock(mutex_);
  Entry& e = entries_[name];
  if (!e.dimensions || e.fingerprint != fingerprint) {
    e.fingerprint = fingerprint;
    e.dimensions = std::make_shared<std::atomic<int64_t>>(0);
  }
  return e.dimensions;
}

void ModelMemory::retain(const std::set<std::string>& keep) {
  std::lock_guard lock(mutex_);
  std::erase_if(entries_, [&](const auto& e) { return !keep.contains(e.first); });
}

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
    std::shared_ptr<const RuntimeConfig> config, EndpointRegistry* registry, ModelMemory* memory) {
  auto s = std::make_shared<EngineSettings>();
  const auto& g = config->genai;
  std::set<std::pair<std::string, std::string>> configured;
  std::set<std::string> remembered;
  auto learn = [&](ModelRuntime& m, const std::string& fp) {
    m.learnt_dimensions =
        memory ? memory->dimensions(m.name, fp) : std::make_shared<std::atomic<int64_t>>(0);
    remembered.insert(m.name);
  };
  auto attach = [&](ModelRuntime& m) {
    for (const auto& ep : m.endpoints) {
      m.health.push_back(registry ? registry->get(m.name, ep.uri, ep.display_uri)
                                  : std::make_shared<EndpointHealth>());
      configured.insert({m.name, ep.uri});
    }
  };
  for (const auto& m : config->models) {
    auto model = std::make_shared<ModelRuntime>();
    model->name = m.name;
    model->embed = m.kind != "rerank";
    std::string service = model->embed ? "embedding" : "rerank";
    std::string key;
    for (const auto& c : config->credentials) {
      if (c.name == m.credential) key = c.secret;
    }
    int timeout = m.timeout_ms > 0 ? m.timeout_ms
                                   : (model->embed ? g.embedding_timeout_ms : g.rerank_timeout_ms);
    std::vector<const GenaiModelEndpoint*> endpoints;
    for (const auto& e : config->model_endpoints) {
      if (e.model_name == m.name) endpoints.push_back(&e);
    }
    std::stable_sort(endpoints.begin(), endpoints.end(),
                     [](auto* a, auto* b) { return a->priority < b->priority; });
    for (const auto* e : endpoints) {
      auto ep = make_endpoint(service, e->uri, m.provider_model, key, timeout);
      ep.timeout_variable = "timeout_ms of model '" + m.name + "'";
      if (m.format == "tei") ep.tei_inputs = model->embed;
      model->endpoints.push_back(std::move(ep));
      model->priorities.push_back(e->priority);
      model->weights.push_back(e->weight);
      model->max_concurrency.push_back(e->max_concurrency);
    }
    model->dimensions = m.dimensions;
    learn(*model, fingerprint(m, endpoints, key));
    model->max_batch_documents = static_cast<size_t>(std::max(0, m.max_batch_documents));
    model->max_batch_bytes = static_cast<size_t>(std::max<int64_t>(0, m.max_batch_bytes));
    model->max_retries = m.max_retries > 0 ? m.max_retries : g.max_retries;
    model->hedge_after_ms = m.hedge_after_ms;
    model->cache_ttl_s = m.cache_ttl_s;
    attach(*model);
    if (m.is_default) (model->embed ? s->default_embed : s->default_rerank) = model;
    s->models[m.name] = std::move(model);
  }
  // Without a default model of a kind, the genai-* variables define it.
  auto implicit = [&](bool embed) {
    auto model = std::make_shared<ModelRuntime>();
    model->embed = embed;
    model->endpoints.push_back(embed
                                   ? make_endpoint("embedding", g.embedding_uri, g.embedding_model,
                                                   g.embedding_api_key, g.embedding_timeout_ms)
                                   : make_endpoint("rerank", g.rerank_uri, g.rerank_model,
                                                   g.rerank_api_key, g.rerank_timeout_ms));
    model->priorities.push_back(0);
    model->weights.push_back(1);
    model->max_concurrency.push_back(0);
    model->max_retries = g.max_retries;
    model->name = model->endpoints[0].model;
    const auto& ep = model->endpoints[0];
    // The implicit model's name may be empty: its URI stands for it.
    std::string fp = ep.uri + '\n' + ep.model + '\n' +
                     std::to_string(std::hash<std::string>{}(ep.authorization)) + '\n' +
                     std::to_string(g.lexical_dimensions);
    model->learnt_dimensions =
        memory ? memory->dimensions(std::string(embed ? "\n" : "\r") + model->name, fp)
               : std::make_shared<std::atomic<int64_t>>(0);
    remembered.insert(std::string(embed ? "\n" : "\r") + model->name);
    attach(*model);
    if (!model->name.empty() && !s->models.contains(model->name)) s->models[model->name] = model;
    return model;
  };
  if (!s->default_embed || s->default_embed->endpoints.empty()) s->default_embed = implicit(true);
  if (!s->default_rerank || s->default_rerank->endpoints.empty()) {
    s->default_rerank = implicit(false);
  }
  if (registry) registry->retain(configured);
  if (memory) memory->retain(remembered);
  s->embedding = s->default_embed->endpoints.front();
  s->rerank = s->default_rerank->endpoints.front();
  s->config = std::move(config);
  return s;
}

std::string EngineSettings::describe(const ModelRuntime& model) {
  if (!model.name.empty()) return "model '" + model.name + "'";
  return model.embed ? "the default embedding model (genai-embedding_uri)"
                     : "the default rerank model (genai-rerank_uri)";
}

Result<const ModelRuntime*> EngineSettings::model(const std::optional<std::string>& name,
                                                  bool embed) const {
  const ModelRuntime* found = nullptr;
  if (!name) {
    found = (embed ? default_embed : default_rerank).get();
  } else {
    auto it = models.find(*name);
    if (it == models.end()) {
      std::string known;
      for (const auto& [n, m] : models) {
        if (m->embed != embed) continue;
        known += (known.empty() ? "" : ", ") + ("'" + n + "'");
      }
      return make_error(errc::kGenaiInvalidRequest,
                        "unknown model '" + *name + "': genai_models has no " +
                            (embed ? "embedding" : "rerank") + " model of that name" +
                            (known.empty() ? std::string() : " (known: " + known + ")"));
    }
    found = it->second.get();
    if (found->embed != embed) {
      return make_error(errc::kGenaiInvalidRequest,
                        "model '" + *name + "' is " + (found->embed ? "an embedding" : "a rerank") +
                            " model, not " + (embed ? "an embedding" : "a rerank") + " model");
    }
  }
  if (found->endpoints.empty()) {
    return make_error(errc::kGenaiInvalidRequest,
                      "model '" + found->name + "' has no endpoint in genai_endpoints");
  }
  return found;
}

}  // namespace gp::genai
