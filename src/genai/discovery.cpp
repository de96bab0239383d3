#include "genai/discovery.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "genai/embedding_adapter.h"
#include "genai/endpoint.h"

namespace gp::genai {
namespace {

using nlohmann::json;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && lower(s.substr(s.size() - suffix.size())) == suffix;
}

// Splits a URI into origin ("http://host:port"), path and query ("?..." or empty).
struct UriParts {
  std::string origin;
  std::string path;
  std::string query;
};

UriParts split_uri(std::string_view uri) {
  UriParts p;
  size_t end = uri.find_first_of("?#");
  if (end != std::string_view::npos && uri[end] == '?') {
    size_t hash = uri.find('#', end);
    p.query = std::string(uri.substr(end, hash == std::string_view::npos ? hash : hash - end));
  }
  std::string_view rest = uri.substr(0, end);
  size_t scheme = rest.find("://");
  size_t slash = rest.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  p.origin = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) p.path = std::string(rest.substr(slash));
  return p;
}

// Request paths of the services, longest first so that "/v1/embeddings" is
// not read as ".../embeddings".
constexpr std::array<std::string_view, 11> kRequestPaths = {
    "/v1/embeddings", "/v1/reranking", "/api/embeddings", "/v1/rerank", "/api/embed", "/embeddings",
    "/embedding",     "/reranking",    "/v1/score",       "/rerank",    "/embed"};

std::optional<json> parse(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

int64_t integer(const json& j, std::string_view key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return 0;
  return std::max<int64_t>(0, it->get<int64_t>());
}

std::string text(const json& j, std::string_view key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool is_2xx(long status) {
  return status >= 200 && status < 300;
}

std::string kind_name(std::string_view kind) {
  if (kind == "embed") return "an embedding";
  if (kind == "rerank") return "a rerank";
  return "a " + std::string(kind);
}

// The rerank request: only a llama-server that pools for ranking answers it.
void read_kind_reply(const ProbeReply& r, EndpointFacts& facts) {
  if (is_2xx(r.status)) facts.kind = "rerank";
  if (r.status == 501) facts.kind = "embed";
}

}  // namespace

ProbeFormat probe_format(std::string_view format, std::string_view uri) {
  if (is_lexical_uri(uri)) return ProbeFormat::kNone;
  if (format == "llama") return ProbeFormat::kLlama;
  if (format == "tei") return ProbeFormat::kTei;
  if (format == "ollama") return ProbeFormat::kOllama;
  if (format == "openai" || format == "vllm") return ProbeFormat::kOpenai;
  if (format != "auto") return ProbeFormat::kNone;  // cohere, jina
  std::string path = split_uri(uri).path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (ends_with_ci(path, "/api/embed") || ends_with_ci(path, "/api/embeddings")) {
    return ProbeFormat::kOllama;
  }
  if (uses_tei_inputs(uri)) return ProbeFormat::kTei;
  return ProbeFormat::kLlama;
}

std::string probe_url(std::string_view uri, std::string_view path) {
  UriParts p = split_uri(uri);
  std::string prefix = p.path;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  bool known = false;
  for (auto request_path : kRequestPaths) {
    if (ends_with_ci(prefix, request_path)) {
      prefix.resize(prefix.size() - request_path.size());
      known = true;
      break;
    }
  }
  // A path of no known service: the service's root is the only guess.
  if (!known) prefix.clear();
  return p.origin + prefix + std::string(path) + p.query;
}

const char* probe_step_path(ProbeStep step) {
  switch (step) {
    case ProbeStep::kHealth:
      return "/health";
    case ProbeStep::kProps:
      return "/props";
    case ProbeStep::kModels:
      return "/v1/models";
    case ProbeStep::kKind:
      return "/rerank";
    case ProbeStep::kTeiInfo:
      return "/info";
    case ProbeStep::kOllamaShow:
      return "/api/show";
  }
  return "";
}

std::vector<ProbeRequest> probe_plan(ProbeFormat format, std::string_view uri,
                                     std::string_view provider_model) {
  std::vector<ProbeRequest> plan;
  auto get = [&](ProbeStep step) {
    plan.push_back({step, probe_url(uri, probe_step_path(step)), {}});
  };
  switch (format) {
    case ProbeFormat::kNone:
      break;
    case ProbeFormat::kLlama:
      get(ProbeStep::kHealth);
      get(ProbeStep::kProps);
      get(ProbeStep::kModels);
      break;
    case ProbeFormat::kTei:
      get(ProbeStep::kTeiInfo);
      break;
    case ProbeFormat::kOpenai:
      get(ProbeStep::kModels);
      break;
    case ProbeFormat::kOllama: {
      // "name" is what Ollama read before "model"; both are accepted now.
      json body = {{"model", provider_model}, {"name", provider_model}};
      plan.push_back({ProbeStep::kOllamaShow, probe_url(uri, "/api/show"), body.dump()});
      break;
    }
  }
  return plan;
}

std::optional<ProbeRequest> kind_request(ProbeFormat format, std::string_view uri, bool embed,
                                         std::span<const ProbeReply> replies,
                                         std::string rerank_body) {
  if (format != ProbeFormat::kLlama) return std::nullopt;
  for (const auto& r : replies) {
    if (r.step == ProbeStep::kProps && !r.transport_failed && is_2xx(r.status)) {
      std::string url = embed ? probe_url(uri, "/rerank") : std::string(uri);
      return ProbeRequest{ProbeStep::kKind, std::move(url), std::move(rerank_body)};
    }
  }
  return std::nullopt;
}

bool is_loading_answer(long status, std::string_view body) {
  return status == 503 && lower(body).find("loading model") != std::string::npos;
}

bool read_llama_props(std::string_view body, EndpointFacts& facts) {
  auto j = parse(body);
  if (!j || !j->is_object()) return false;
  facts.slots = integer(*j, "total_slots");
  auto settings = j->find("default_generation_settings");
  if (settings != j->end() && settings->is_object()) {
    facts.context_size = integer(*settings, "n_ctx");
  }
  // Some builds publish the pooling; where they do, it settles the kind.
  for (auto key : {"pooling", "pooling_type"}) {
    std::string pooling = lower(text(*j, key));
    if (pooling.empty()) continue;
    facts.kind = pooling == "rank" ? "rerank" : "embed";
  }
  if (facts.model_id.empty()) facts.model_id = text(*j, "model_alias");
  return true;
}

bool read_models_list(std::string_view body, std::string_view provider_model,
                      EndpointFacts& facts) {
  auto j = parse(body);
  if (!j || !j->is_object()) return false;
  auto data = j->find("data");
  if (data == j->end() || !data->is_array()) return false;
  const json* chosen = nullptr;
  for (const auto& m : *data) {
    if (!m.is_object()) continue;
    bool named = !provider_model.empty() && text(m, "id") == provider_model;
    auto aliases = m.find("aliases");
    if (!named && !provider_model.empty() && aliases != m.end() && aliases->is_array()) {
      for (const auto& a : *aliases) {
        named = named || (a.is_string() && a.get_ref<const std::string&>() == provider_model);
      }
    }
    if (named) {
      chosen = &m;
      break;
    }
  }
  // llama-server serves one model whatever the request names.
  if (!chosen && data->size() == 1 && data->front().is_object()) chosen = &data->front();
  if (!chosen) {
    if (!provider_model.empty()) {
      facts.detail = "/v1/models does not list '" + std::string(provider_model) + "'";
    }
    return true;
  }
  facts.model_id = text(*chosen, "id");
  auto meta = chosen->find("meta");
  if (meta != chosen->end() && meta->is_object()) {
    if (facts.dimension == 0) facts.dimension = integer(*meta, "n_embd");
    if (facts.context_size == 0) facts.context_size = integer(*meta, "n_ctx");
    if (facts.context_size == 0) facts.context_size = integer(*meta, "n_ctx_train");
  }
  // vLLM
  if (facts.context_size == 0) facts.context_size = integer(*chosen, "max_model_len");
  return true;
}

bool read_tei_info(std::string_view body, EndpointFacts& facts) {
  auto j = parse(body);
  if (!j || !j->is_object()) return false;
  facts.model_id = text(*j, "model_id");
  auto type = j->find("model_type");
  if (type != j->end()) {
    std::string name = type->is_object() && !type->empty() ? type->begin().key()
                       : type->is_string()                 ? type->get<std::string>()
                                                           : std::string();
    name = lower(name);
    if (name == "embedding") facts.kind = "embed";
    if (name == "reranker") facts.kind = "rerank";
    if (name == "classifier") facts.kind = "classifier";
  }
  facts.context_size = integer(*j, "max_input_length");
  facts.batch_tokens = integer(*j, "max_batch_tokens");
  facts.batch_documents = integer(*j, "max_client_batch_size");
  return true;
}

bool read_ollama_show(std::string_view body, EndpointFacts& facts) {
  auto j = parse(body);
  if (!j || !j->is_object()) return false;
  auto info = j->find("model_info");
  if (info != j->end() && info->is_object()) {
    std::string arch = text(*info, "general.architecture");
    for (auto it = info->begin(); it != info->end(); ++it) {
      const std::string& key = it.key();
      if (!it->is_number_integer()) continue;
      bool ours = arch.empty() || key.starts_with(arch + ".");
      if (ours && key.ends_with(".embedding_length")) facts.dimension = it->get<int64_t>();
      if (ours && key.ends_with(".context_length")) facts.context_size = it->get<int64_t>();
    }
  }
  auto caps = j->find("capabilities");
  if (caps != j->end() && caps->is_array() && !caps->empty()) {
    bool embedding = std::any_of(caps->begin(), caps->end(), [](const json& c) {
      return c.is_string() && c.get_ref<const std::string&>() == "embedding";
    });
    facts.kind = embedding ? "embed" : "completion";
  }
  return true;
}

EndpointFacts interpret_probe(ProbeFormat format, std::span<const ProbeReply> replies,
                              std::string_view provider_model) {
  EndpointFacts facts;
  if (format == ProbeFormat::kNone) {
    facts.detail = "nothing to probe for this format";
    return facts;
  }
  bool answered = false;  // some probe got an HTTP answer
  bool any_ok = false;
  bool loading = false;
  std::string transport;
  std::string error;     // a refusal that says the endpoint is unusable
  std::string missing;   // probe paths the service does not have
  std::string unusable;  // 2xx answers that were not what the path gives
  for (const auto& r : replies) {
    std::string path = probe_step_path(r.step);
    if (r.transport_failed) {
      if (transport.empty()) transport = "transport: " + r.transport_error + " (" + path + ")";
      continue;
    }
    answered = true;
    if (r.step == ProbeStep::kKind) {
      read_kind_reply(r, facts);
      continue;
    }
    if (is_loading_answer(r.status, r.body)) {
      loading = true;
      continue;
    }
    if (!is_2xx(r.status)) {
      std::string what = "HTTP " + std::to_string(r.status) + " from " + path;
      if (r.status == 401 || r.status == 403) what += " (the credential is refused)";
      bool absent = r.status == 404 || r.status == 405 || r.status == 501;
      // Ollama answers 404 for a model it has not pulled.
      if (absent && r.step != ProbeStep::kOllamaShow) {
        if (missing.empty()) missing = what;
      } else if (error.empty()) {
        error = what;
      }
      continue;
    }
    bool read = true;
    switch (r.step) {
      case ProbeStep::kHealth:
        break;
      case ProbeStep::kProps:
        read = read_llama_props(r.body, facts);
        break;
      case ProbeStep::kModels:
        read = read_models_list(r.body, provider_model, facts);
        break;
      case ProbeStep::kTeiInfo:
        read = read_tei_info(r.body, facts);
        break;
      case ProbeStep::kOllamaShow:
        read = read_ollama_show(r.body, facts);
        if (read && facts.model_id.empty()) facts.model_id = std::string(provider_model);
        break;
      case ProbeStep::kKind:
        break;
    }
    if (read) {
      any_ok = true;
    } else if (unusable.empty()) {
      unusable = "the answer of " + path + " is not the JSON it gives";
    }
  }
  if (!answered) {
    facts.state = "unreachable";
    facts.detail = transport.empty() ? "no answer" : transport;
  } else if (loading) {
    facts.state = "loading";
    facts.detail = "HTTP 503 Loading model";
  } else if (!error.empty()) {
    facts.state = "error";
    facts.detail = error;
  } else if (any_ok) {
    facts.state = "ok";
  } else {
    facts.state = "error";
    facts.detail = !unusable.empty() ? unusable : !missing.empty() ? missing : transport;
  }
  return facts;
}

std::string contradiction(const EndpointFacts& facts, bool embed, int dimensions) {
  std::string out;
  auto add = [&](std::string s) { out += (out.empty() ? "" : "; ") + s; };
  std::string wanted = embed ? "embed" : "rerank";
  if (!facts.kind.empty() && facts.kind != wanted) {
    add("the endpoint serves " + kind_name(facts.kind) + " model, but the model's kind is '" +
        wanted + "'");
  }
  if (embed && dimensions > 0 && facts.dimension > 0 && facts.dimension != dimensions) {
    add("the endpoint reports dimension " + std::to_string(facts.dimension) +
        ", but genai_models.dimensions is " + std::to_string(dimensions));
  }
  return out;
}

DiscoveryRecord::Snapshot DiscoveryRecord::get() const {
  std::lock_guard lock(mutex_);
  return value_;
}

bool DiscoveryRecord::put(uint64_t round, EndpointFacts facts, std::string warning) {
  std::lock_guard lock(mutex_);
  if (round < round_) return false;
  round_ = round;
  bool changed = warning != value_.warning;
  value_.facts = std::move(facts);
  value_.warning = std::move(warning);
  return changed;
}

}  // namespace gp::genai
