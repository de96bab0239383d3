#include "genai/engine.h"

#include <curl/curl.h>
#include <simdjson.h>

#include <algorithm>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include "core/coroutine_warnings.h"
#include "core/snapshot_ptr.h"
#include "genai/access.h"
#include "genai/discovery.h"
#include "genai/embedding_cache.h"
#include "genai/endpoint.h"
#include "genai/endpoint_stats.h"
#include "genai/engine_loop.h"
#include "genai/errors.h"
#include "genai/prober.h"
#include "genai/provider.h"
#include "genai/request.h"
#include "genai/result_builder.h"
#include "genai/stats.h"
#include "genai/usage.h"
#include "sql/sql.h"

namespace gp::genai {
namespace {

using LoopSet = std::vector<std::shared_ptr<EngineLoop>>;
using mysql::ResultSet;
constexpr auto relaxed = std::memory_order_relaxed;

// Loops examined per statement: enough to avoid a busy one, few enough to
// keep the choice O(1) with hundreds of loops.
constexpr size_t kPickCandidates = 4;

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

long per_loop_connections(const GenaiSettings& g) {
  long loops = std::max(1, g.threads);
  return std::max(1L, (g.endpoint_concurrency + loops - 1) / loops);
}

// The documents that are sent (not blank), and where each came from.
struct Upstream {
  std::vector<std::string> documents;
  std::vector<size_t> positions;
};

Upstream select_upstream(const Documents& docs) {
  Upstream up;
  up.documents.reserve(docs.size());
  up.positions.reserve(docs.size());
  for (size_t i = 0; i < docs.size(); ++i) {
    if (is_blank_document(docs[i])) continue;
    up.documents.push_back(*docs[i]);
    up.positions.push_back(i);
  }
  return up;
}

// What makes a cached vector valid for a statement: the service and model
// (and the lexical provider's dimension). The answer's format does not
// matter: vectors are cached as values.
std::string service_identity(const ServiceEndpoint& ep, const GenaiSettings& g) {
  if (ep.lexical) return "lexical:" + std::to_string(g.lexical_dimensions);
  return ep.uri + '\n' + ep.model;
}

// The cached vectors and the provider's vectors, back in document order.
Result<Embeddings> merge_cached(std::vector<std::optional<CachedVector>>& cached,
                                const Embeddings& fresh) {
  Embeddings all;
  all.count = cached.size();
  size_t next_fresh = 0;
  for (auto& c : cached) {
    std::span<const double> values;
    if (c) {
      values = c->values;
      all.single_precision = all.single_precision || c->single_precision;
    } else {
      values = fresh.row(next_fresh++);
      all.single_precision = all.single_precision || fresh.single_precision;
    }
    if (all.dimension == 0) {
      all.dimension = values.size();
      all.values.reserve(all.count * all.dimension);
    } else if (values.size() != all.dimension) {
      return std::unexpected(
          invalid_answer("GENAI: cached and new vectors of this service differ in dimension (" +
                         std::to_string(all.dimension) + " and " + std::to_string(values.size()) +
                         "); FLUSH GENAI CACHE on the admin interface"));
    }
    all.values.insert(all.values.end(), values.begin(), values.end());
  }
  return all;
}

}  // namespace

// Shared with the configuration listener, which may outlive the Engine.
struct EngineState {
  explicit EngineState(ConfigStore& store) : config(store) {}

  ConfigStore& config;
  std::shared_ptr<GenaiStats> stats = std::make_shared<GenaiStats>();
  std::atomic<int64_t> admitted{0};    // statements in progress, bounded by genai-max_queue
  std::atomic<int64_t> background{0};  // of those, embedding jobs' batches
  EmbeddingCache cache;
  AccessControl access;
  UsageStats usage;
  // Before `settings`, whose snapshots point into them.
  EndpointRegistry endpoints;
  ModelMemory models;
  SnapshotPtr<const EngineSettings> settings;
  SnapshotPtr<const LoopSet> loops{std::make_shared<const LoopSet>()};
  std::atomic<bool> running{false};
  std::atomic<uint64_t> next_loop{0};

  std::mutex lifecycle;  // start, stop, resize
  LoopSet retired;       // draining, then joined
  // Last: it reads `endpoints`, `settings` and `loops` until it stops.
  Prober prober{endpoints, [this] { return settings.load(); }, [this] { return pick(); }};

  std::shared_ptr<EngineLoop> pick() {
    auto set = loops.load();
    if (set->empty()) return nullptr;
    size_t n = set->size();
    size_t start = next_loop.fetch_add(1, relaxed) % n;
    size_t best = start;
    for (size_t i = 1; i < std::min(n, kPickCandidates); ++i) {
      size_t idx = (start + i) % n;
      if ((*set)[idx]->load() < (*set)[best]->load()) best = idx;
    }
    return (*set)[best];
  }

  std::shared_ptr<EngineLoop> pick_for(const std::string& key) {
    auto set = loops.load();
    if (set->empty()) return nullptr;
    return (*set)[std::hash<std::string>{}(key) % set->size()];
  }

  // Caller holds `lifecycle`.
  void resize(const GenaiSettings& g) {
    size_t wanted = static_cast<size_t>(std::max(1, g.threads));
    auto current = loops.load();
    long connections = per_loop_connections(g);
    for (auto& loop : *current) loop->set_host_connections(connections);
    if (current->size() == wanted) return;
    auto next = std::make_shared<LoopSet>(*current);
    LoopSet leaving;
    while (next->size() < wanted) {
      auto loop = std::make_shared<EngineLoop>(stats, connections);
      loop->start();
      next->push_back(std::move(loop));
    }
    while (next->size() > wanted) {
      leaving.push_back(std::move(next->back()));
      next->pop_back();
    }
    loops.store(std::move(next));
    // Published first, so new statements go to the remaining loops; the
    // leaving ones finish what they hold, then exit.
    for (auto& loop : leaving) {
      loop->retire();
      retired.push_back(std::move(loop));
    }
  }

  // Caller holds `lifecycle`.
  void reap() {
    std::erase_if(retired, [](const std::shared_ptr<EngineLoop>& loop) {
      if (!loop->exited()) return false;
      loop->join();
      return true;
    });
  }

  void on_config(const std::shared_ptr<const RuntimeConfig>& next) {
    settings.store(make_engine_settings(next, &endpoints, &models));
    configure_cache(next->genai);
    std::lock_guard lock(lifecycle);
    reap();
    if (running.load(std::memory_order_acquire)) {
      resize(next->genai);
      prober.probe_now();
    }
  }

  void configure_cache(const GenaiSettings& g) {
    cache.configure(static_cast<size_t>(std::max<int64_t>(0, g.cache_max_bytes)),
                    std::chrono::seconds(g.cache_ttl_s));
  }

  Result<ResultSet> fail(Error e) {
    stats->requests_failed.fetch_add(1, relaxed);
    stats->count_error(e.code);
    return std::unexpected(std::move(e));
  }
};

struct Engine::Impl {
  std::shared_ptr<EngineState> state;
};

Engine::Engine(ConfigStore& config, MetricsRegistry& metrics) : impl_(std::make_unique<Impl>()) {
  init_curl_once();
  impl_->state = std::make_shared<EngineState>(config);
  auto& state = *impl_->state;
  state.settings.store(make_engine_settings(config.current(), &state.endpoints, &state.models));
  register_stats(metrics, state.stats);
  state.configure_cache(config.current()->genai);
  metrics.register_table("stats_genai_global", {"Variable_Name", "Variable_Value"},
                         [weak = std::weak_ptr<EngineState>(impl_->state)] {
                           StatsTable t;
                           auto s = weak.lock();
                           if (!s) return t;
                           auto c = s->cache.stats();
                           for (auto [name, value] : {std::pair{"cache_hits", c.hits},
                                                      {"cache_misses", c.misses},
                                                      {"cache_evictions", c.evictions},
                                                      {"cache_entries", c.entries},
                                                      {"cache_bytes", c.bytes}}) {
                             t.rows.push_back({name, std::to_string(value)});
                           }
                           return t;
                         });
  std::weak_ptr<EngineState> weak_usage = impl_->state;
  for (auto [name, reset] :
       {std::pair{"stats_genai_usage", false}, {"stats_genai_usage_reset", true}}) {
    metrics.register_table(name, UsageStats::columns(), [weak_usage, reset = reset] {
      auto s = weak_usage.lock();
      return s ? s->usage.table(reset) : StatsTable{};
    });
  }
  metrics.register_table("stats_genai_models",
                         {"model", "statements", "documents", "cache_hits", "errors",
                          "upstream_tokens", "sum_upstream_time_us"},
                         [weak_usage] {
                           auto s = weak_usage.lock();
                           return s ? s->usage.by_model() : StatsTable{};
                         });
  register_endpoint_stats(metrics, [weak_usage] {
    auto s = weak_usage.lock();
    return s ? s->endpoints.status() : std::vector<EndpointStatus>{};
  });
  std::weak_ptr<EngineState> weak = impl_->state;
  config.subscribe([weak](const std::shared_ptr<const RuntimeConfig>& next) {
    if (auto s = weak.lock()) s->on_config(next);
  });
}

Engine::~Engine() {
  stop();
}

void Engine::start() {
  auto& state = *impl_->state;
  std::lock_guard lock(state.lifecycle);
  if (state.running.load()) return;
  auto settings = make_engine_settings(state.config.current(), &state.endpoints, &state.models);
  state.settings.store(settings);
  state.running.store(true, std::memory_order_release);
  state.resize(settings->genai());
  state.prober.start();
}

void Engine::stop() {
  auto& state = *impl_->state;
  std::lock_guard lock(state.lifecycle);
  state.running.store(false, std::memory_order_release);
  // While the loops still run, so that a probe in flight is aborted there.
  state.prober.stop();
  auto current = state.loops.exchange(std::make_shared<const LoopSet>());
  LoopSet all(current->begin(), current->end());
  all.insert(all.end(), state.retired.begin(), state.retired.end());
  state.retired.clear();
  for (auto& loop : all) loop->stop();
  for (auto& loop : all) loop->join();
}

int64_t Engine::interactive_in_flight() const {
  auto& s = *impl_->state;
  return s.admitted.load(relaxed) - s.background.load(relaxed);
}

void Engine::flush_cache() {
  impl_->state->cache.flush();
}

std::vector<EndpointStatus> Engine::endpoint_status() const {
  return impl_->state->endpoints.status();
}

std::vector<EndpointDiscovery> Engine::endpoint_discovery() const {
  std::vector<EndpointDiscovery> out;
  for (auto& d : impl_->state->endpoints.discoveries()) {
    auto snapshot = d.record->get();
    out.push_back({d.model, d.uri, std::move(snapshot.facts), std::move(snapshot.warning)});
  }
  return out;
}

// Partial hits: only the documents the cache does not hold are sent. A named
// model caches for its own cache_ttl_s (0: not at all); the implicit default
// model for genai-cache_ttl_s.
static asio::awaitable<Result<Embeddings>> embed_cached(
    EngineState& state, const ModelRuntime& model, const GenaiSettings& genai, Provider& provider,
    std::vector<std::string>& documents, const std::vector<size_t>& numbers, uint64_t& hits) {
  const ServiceEndpoint& endpoint = model.endpoints.front();
  std::optional<std::chrono::seconds> ttl;
  if (model.cache_ttl_s >= 0) ttl = std::chrono::seconds(model.cache_ttl_s);
  if ((ttl ? ttl->count() : genai.cache_ttl_s) <= 0 || genai.cache_max_bytes <= 0) {
    co_return co_await provider.embed(std::move(documents), numbers);
  }
  std::string service = service_identity(endpoint, genai);
  auto cached = state.cache.lookup(service, documents, ttl);
  std::vector<std::string> missing;
  std::vector<size_t> missing_numbers;
  for (size_t i = 0; i < documents.size(); ++i) {
    if (cached[i]) continue;
    missing.push_back(documents[i]);
    missing_numbers.push_back(numbers[i]);
  }
  hits = documents.size() - missing.size();
  Embeddings fresh;
  if (!missing.empty()) {
    auto computed = co_await provider.embed(missing, std::move(missing_numbers));
    if (!computed) co_return std::unexpected(computed.error());
    fresh = std::move(*computed);
    state.cache.insert(service, missing, fresh, ttl);
  }
  if (missing.size() == documents.size()) co_return fresh;
  co_return merge_cached(cached, fresh);
}

// A statement in progress, bounded by genai-max_queue. Released before the
// answer is written, so that a client answered now can send its next
// statement without tripping genai-max_queue.
class Admission {
 public:
  static Result<Admission> enter(EngineState& state, const GenaiSettings& genai,
                                 bool background = false) {
    if (!state.running.load(std::memory_order_acquire)) return std::unexpected(unavailable_error());
    int64_t limit = genai.max_queue;
    if (state.admitted.fetch_add(1, std::memory_order_acq_rel) >= limit) {
      state.admitted.fetch_sub(1, std::memory_order_acq_rel);
      return std::unexpected(Error::make(
          errc::kGenaiOverloaded, "GENAI: overloaded: genai-max_queue=" + std::to_string(limit) +
                                      " requests are already in progress; retry later"));
    }
    state.stats->requests_in_flight.fetch_add(1, relaxed);
    if (background) state.background.fetch_add(1, relaxed);
    return Admission(state, background);
  }
  Admission(Admission&& other) noexcept
      : state_(std::exchange(other.state_, nullptr)), background_(other.background_) {}
  Admission& operator=(Admission&&) = delete;
  ~Admission() {
    if (!state_) return;
    state_->admitted.fetch_sub(1, std::memory_order_acq_rel);
    state_->stats->requests_in_flight.fetch_sub(1, relaxed);
    if (background_) state_->background.fetch_sub(1, relaxed);
  }

 private:
  Admission(EngineState& state, bool background) : state_(&state), background_(background) {}
  EngineState* state_;
  bool background_;
};

// What the provider (or the cache) returned for the documents sent.
struct Values {
  Embeddings embeddings;
  std::vector<double> scores;
  uint64_t cache_hits = 0;
  uint64_t upstream_tokens = 0;
  std::chrono::nanoseconds upstream_time{0};
};

static asio::awaitable<Result<Values>> compute(EngineState& state_ref,
                                               std::shared_ptr<const EngineSettings> shared,
                                               const ModelRuntime& model, const std::string& query,
                                               Upstream& up, const RequestContext& context) {
  bool embed = model.embed;
  EngineState* state = &state_ref;
  auto& stats = *state->stats;
  const EngineSettings& settings = *shared;
  const GenaiSettings& genai = settings.genai();
  stats.documents_processed.fetch_add(up.documents.size(), relaxed);
  const ServiceEndpoint& endpoint = model.endpoints.front();
  Values values;
  if (up.documents.empty()) co_return values;
  std::unique_ptr<Provider> provider;
  if (endpoint.lexical) {
    provider = make_lexical_provider(genai.lexical_dimensions, stats);
  } else {
    // The model's own request limits, else genai-batch_size.
    size_t batch_size = model.max_batch_documents > 0
                            ? model.max_batch_documents
                            : static_cast<size_t>(std::max(0, genai.batch_size));
    size_t batch_max = static_cast<size_t>(std::max(1, genai.batch_max_documents));
    if (model.max_batch_documents > 0) batch_max = std::min(batch_max, model.max_batch_documents);
    // A byte limit is kept by splitting each statement's own requests: a
    // shared request could pass it.
    bool batching = embed && model.max_batch_bytes == 0 &&
                    uses_micro_batching(genai, up.documents.size()) &&
                    up.documents.size() <= batch_max &&
                    (model.max_batch_documents == 0 || up.documents.size() <= batch_size);
    // Statements that may share requests meet on their model's loop.
    auto loop = batching ? state->pick_for(model.name + '\n' + endpoint.uri + endpoint.model)
                         : state->pick();
    if (!loop) co_return std::unexpected(unavailable_error());
    HttpTarget target{&model,        shared, std::move(loop), batch_size, model.max_batch_bytes,
                      context.cancel};
    target.stats = &stats;
    target.upstream_tokens = &values.upstream_tokens;
    if (batching) {
      target.batch_window = std::chrono::microseconds(genai.batch_window_us);
      target.batch_max_documents = batch_max;
    }
    provider = make_http_provider(std::move(target));
  }
  auto started = std::chrono::steady_clock::now();
  std::vector<size_t> numbers;
  numbers.reserve(up.positions.size());
  for (size_t p : up.positions) numbers.push_back(p + 1);
  if (embed) {
    auto computed = co_await embed_cached(*state, model, genai, *provider, up.documents, numbers,
                                          values.cache_hits);
    if (!computed) co_return std::unexpected(computed.error());
    // The built-in provider's size is genai-lexical_dimensions: a model
    // that expects another cannot be served by it.
    if (endpoint.lexical && model.dimensions > 0 &&
        computed->dimension != static_cast<size_t>(model.dimensions)) {
      co_return std::unexpected(Error::make(
          errc::kGenaiInvalidAnswer,
          "GENAI: invalid answer from the built-in provider lexical: " +
              EngineSettings::describe(model) + " expects vectors of " +
              std::to_string(model.dimensions) + " dimensions (genai_models.dimensions), the " +
              "answer has " + std::to_string(computed->dimension) + " (genai-lexical_dimensions)"));
    }
    values.embeddings = std::move(*computed);
  } else {
    auto computed = co_await provider->rerank(query, std::move(up.documents), std::move(numbers));
    if (!computed) co_return std::unexpected(computed.error());
    values.scores = std::move(*computed);
  }
  values.upstream_time = std::chrono::steady_clock::now() - started;
  co_return values;
}

asio::awaitable<Result<ResultSet>> Engine::run(std::string statement, RequestContext context) {
  auto state = impl_->state;
  auto& stats = *state->stats;
  auto started = std::chrono::steady_clock::now();
  stats.requests_total.fetch_add(1, relaxed);

  auto settings = state->settings.load();
  const GenaiSettings& genai = settings->genai();
  auto request = parse_genai_statement(statement, genai);
  if (!request) co_return state->fail(std::move(request.error()));
  bool embed = request->type == RequestType::kEmbed;
  (embed ? stats.embed_requests : stats.rerank_requests).fetch_add(1, relaxed);
  auto model = settings->model(request->model, embed);
  if (!model) co_return state->fail(std::move(model.error()));
  UsageSample sample;
  sample.username = context.username;
  sample.model = (*model)->name;
  sample.digest_text = sql::digest_text(statement);
  auto admitted = Admission::enter(*state, genai);
  if (!admitted) co_return state->fail(std::move(admitted.error()));

  auto outcome = [&](Result<ResultSet> result) -> Result<ResultSet> {
    stats.observe_latency(std::chrono::steady_clock::now() - started);
    sample.error = !result;
    state->usage.record(sample);
    if (result) {
      stats.requests_completed.fetch_add(1, relaxed);
    } else {
      stats.requests_failed.fetch_add(1, relaxed);
      stats.count_error(result.error().code);
    }
    return result;
  };

  // document_from_sql: the rows first, from the client's own backend.
  std::optional<ResultSet> rows;
  if (request->document_from_sql) {
    if (!context.run_sql) {
      co_return outcome(std::unexpected(invalid_request(
          "document_from_sql needs a MySQL backend, and none is configured for user '" +
          context.username + "'")));
    }
    stats.sql_document_requests.fetch_add(1, relaxed);
    auto selected = co_await context.run_sql(*request->document_from_sql);
    if (!selected) co_return outcome(std::unexpected(selected.error()));
    if (context.cancel && context.cancel->requested)
      co_return outcome(std::unexpected(cancelled_error()));
    auto docs = documents_from_rows(*selected, genai);
    if (!docs) co_return outcome(std::unexpected(docs.error()));
    request->documents = std::move(*docs);
    rows = std::move(*selected);
  }

  Upstream up = select_upstream(request->documents);
  if (auto allowed = state->access.admit(settings->config->model_grants, context.username,
                                         (*model)->name, up.documents.size());
      !allowed) {
    co_return outcome(std::unexpected(allowed.error()));
  }
  sample.documents = up.documents.size();
  auto computed_values = co_await compute(*state, settings, **model, request->query, up, context);
  if (!computed_values) co_return outcome(std::unexpected(computed_values.error()));
  sample.cache_hits = computed_values->cache_hits;
  sample.upstream_tokens = computed_values->upstream_tokens;
  sample.upstream_time = computed_values->upstream_time;
  Embeddings& embeddings = computed_values->embeddings;
  std::vector<double>& scores = computed_values->scores;

  Computed computed{embeddings, scores, up.positions, request->documents.size()};
  if (embed) {
    if (rows) co_return outcome(embed_result_from_sql(std::move(*rows), computed, request->format));
    co_return outcome(embed_result(computed, request->format));
  }
  if (rows) co_return outcome(rerank_result_from_sql(std::move(*rows), computed, request->top_n));
  co_return outcome(
      rerank_result(computed, std::move(request->documents), request->top_n, request->columns));
}

// The shared path of embed_values and rerank_values: limits, admission, the
// provider, and the statement counters.
static asio::awaitable<Result<Values>> sql_values(std::shared_ptr<EngineState> state, bool embed,
                                                  const std::optional<std::string>& model,
                                                  const std::string& query, Upstream& up,
                                                  size_t total, const RequestContext& context) {
  auto& stats = *state->stats;
  auto started = std::chrono::steady_clock::now();
  stats.requests_total.fetch_add(1, relaxed);
  (embed ? stats.embed_requests : stats.rerank_requests).fetch_add(1, relaxed);
  auto settings = state->settings.load();
  const GenaiSettings& genai = settings->genai();
  auto resolved = settings->model(model, embed);
  auto refused = [&](Error e) -> Result<Values> {
    stats.requests_failed.fetch_add(1, relaxed);
    stats.count_error(e.code);
    return std::unexpected(std::move(e));
  };
  if (!resolved) co_return refused(std::move(resolved.error()));
  // Services take JSON, and JSON text is UTF-8: a text in another character
  // set is refused here, clearly, rather than garbled upstream.
  if (!simdjson::validate_utf8(query.data(), query.size())) {
    co_return refused(invalid_request("the query is not valid utf8mb4 text; send utf8mb4"));
  }
  for (size_t k = 0; k < up.documents.size(); ++k) {
    const auto& d = up.documents[k];
    if (!simdjson::validate_utf8(d.data(), d.size())) {
      co_return refused(invalid_request("the text of row " + std::to_string(up.positions[k] + 1) +
                                        " is not valid utf8mb4; send utf8mb4 text"));
    }
  }
  if (total > static_cast<size_t>(genai.max_documents)) {
    co_return refused(
        invalid_request("too many documents: " + std::to_string(total) +
                        " (genai-max_documents=" + std::to_string(genai.max_documents) + ")"));
  }
  if (auto allowed = state->access.admit(settings->config->model_grants, context.username,
                                         (*resolved)->name, up.documents.size());
      !allowed) {
    co_return refused(std::move(allowed.error()));
  }
  auto admitted = Admission::enter(*state, genai, context.background);
  if (!admitted) co_return refused(std::move(admitted.error()));
  UsageSample sample;
  sample.username = context.username;
  sample.model = (*resolved)->name;
  sample.digest_text = context.digest_text;
  sample.documents = up.documents.size();
  auto values = co_await compute(*state, settings, **resolved, query, up, context);
  stats.observe_latency(std::chrono::steady_clock::now() - started);
  sample.error = !values;
  if (values) {
    sample.cache_hits = values->cache_hits;
    sample.upstream_tokens = values->upstream_tokens;
    sample.upstream_time = values->upstream_time;
  }
  state->usage.record(sample);
  if (values) {
    stats.requests_completed.fetch_add(1, relaxed);
  } else {
    stats.requests_failed.fetch_add(1, relaxed);
    stats.count_error(values.error().code);
  }
  co_return values;
}

asio::awaitable<Result<std::vector<std::optional<std::string>>>> Engine::embed_values(
    Documents documents, std::vector<EmbedFormat> formats, std::optional<std::string> model,
    RequestContext context) {
  Upstream up = select_upstream(documents);
  auto values = co_await sql_values(impl_->state, true, model, {}, up, documents.size(), context);
  if (!values) co_return std::unexpected(values.error());
  std::vector<std::optional<std::string>> out(documents.size());
  for (size_t k = 0; k < up.positions.size(); ++k) {
    size_t at = up.positions[k];
    out[at] = format_embedding(values->embeddings, k, formats[at]);
  }
  co_return out;
}

asio::awaitable<Result<std::vector<std::optional<double>>>> Engine::rerank_values(
    std::string query, Documents documents, std::optional<std::string> model,
    RequestContext context) {
  Upstream up = select_upstream(documents);
  auto values =
      co_await sql_values(impl_->state, false, model, query, up, documents.size(), context);
  if (!values) co_return std::unexpected(values.error());
  std::vector<std::optional<double>> out(documents.size());
  for (size_t k = 0; k < up.positions.size(); ++k) out[up.positions[k]] = values->scores[k];
  co_return out;
}

}  // namespace gp::genai
