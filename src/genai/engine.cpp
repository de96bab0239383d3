#include "genai/engine.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include "core/snapshot_ptr.h"
#include "genai/errors.h"
#include "genai/http_worker.h"
#include "genai/job.h"
#include "genai/job_runner.h"
#include "genai/stats.h"

namespace gp::genai {
namespace {

using WorkerSet = std::vector<std::shared_ptr<HttpWorker>>;

// Candidates examined per submit: enough to avoid a busy thread, few enough
// to keep submit O(1) with hundreds of threads.
constexpr size_t kPickCandidates = 4;

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

long per_thread_connections(const GenaiSettings& g) {
  long threads = std::max(1, g.threads);
  return std::max(1L, (g.endpoint_concurrency + threads - 1) / threads);
}

class JobTicket : public Ticket {
 public:
  explicit JobTicket(std::weak_ptr<Job> job) : job_(std::move(job)) {}
  void cancel() override {
    auto job = job_.lock();
    if (!job || job->completed.load(std::memory_order_acquire)) return;
    if (job->cancel_requested.exchange(true, std::memory_order_acq_rel)) return;
    // The engine thread aborts the transfers and answers; if it is gone the
    // job is answered here.
    if (!job->worker || !job->worker->post_cancel(job))
      job->finish(std::unexpected(cancelled_error()));
  }

 private:
  std::weak_ptr<Job> job_;
};

class DoneTicket : public Ticket {
 public:
  void cancel() override {}
};

}  // namespace

// Shared with the configuration listener, which may outlive the Engine.
struct EngineState {
  explicit EngineState(ConfigStore& store) : config(store) {}

  ConfigStore& config;
  std::shared_ptr<EngineCore> core = std::make_shared<EngineCore>();
  SnapshotPtr<const EngineSettings> settings;
  SnapshotPtr<const WorkerSet> workers{std::make_shared<const WorkerSet>()};
  std::atomic<bool> running{false};
  std::atomic<uint64_t> next_worker{0};

  std::mutex lifecycle;  // start, stop, resize
  WorkerSet retired;     // draining, then joined

  std::shared_ptr<HttpWorker> pick() {
    auto set = workers.load();
    if (set->empty()) return nullptr;
    size_t n = set->size();
    size_t start = next_worker.fetch_add(1, std::memory_order_relaxed) % n;
    size_t best = start;
    int64_t best_load = (*set)[start]->active_jobs.load(std::memory_order_relaxed);
    for (size_t i = 1; i < std::min(n, kPickCandidates); ++i) {
      size_t idx = (start + i) % n;
      int64_t load = (*set)[idx]->active_jobs.load(std::memory_order_relaxed);
      if (load < best_load) {
        best = idx;
        best_load = load;
      }
    }
    return (*set)[best];
  }

  // Caller holds `lifecycle`.
  void resize(const GenaiSettings& g) {
    size_t wanted = static_cast<size_t>(std::max(1, g.threads));
    auto current = workers.load();
    if (current->size() == wanted) return;
    auto next = std::make_shared<WorkerSet>(*current);
    WorkerSet leaving;
    while (next->size() < wanted) {
      auto w = std::make_shared<HttpWorker>(core, per_thread_connections(g));
      w->start();
      next->push_back(std::move(w));
    }
    while (next->size() > wanted) {
      leaving.push_back(std::move(next->back()));
      next->pop_back();
    }
    workers.store(std::move(next));
    // Published first, so new requests go to the remaining threads; the
    // leaving ones finish what they hold, then exit.
    for (auto& w : leaving) {
      w->retire();
      retired.push_back(std::move(w));
    }
  }

  // Caller holds `lifecycle`.
  void reap() {
    std::erase_if(retired, [](const std::shared_ptr<HttpWorker>& w) {
      if (!w->exited()) return false;
      w->join();
      return true;
    });
  }

  void on_config(const std::shared_ptr<const RuntimeConfig>& next) {
    settings.store(make_engine_settings(next));
    std::lock_guard lock(lifecycle);
    reap();
    if (running.load(std::memory_order_acquire)) resize(next->genai);
  }
};

struct Engine::Impl {
  std::shared_ptr<EngineState> state;
};

Engine::Engine(ConfigStore& config, MetricsRegistry& metrics) : impl_(std::make_unique<Impl>()) {
  init_curl_once();
  impl_->state = std::make_shared<EngineState>(config);
  auto& state = *impl_->state;
  state.settings.store(make_engine_settings(config.current()));
  register_stats(metrics, state.core->stats);
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
  auto settings = make_engine_settings(state.config.current());
  state.settings.store(settings);
  state.running.store(true, std::memory_order_release);
  state.resize(settings->genai());
}

void Engine::stop() {
  auto& state = *impl_->state;
  std::lock_guard lock(state.lifecycle);
  state.running.store(false, std::memory_order_release);
  auto current = state.workers.exchange(std::make_shared<const WorkerSet>());
  WorkerSet all(current->begin(), current->end());
  all.insert(all.end(), state.retired.begin(), state.retired.end());
  state.retired.clear();
  for (auto& w : all) w->stop();
  for (auto& w : all) w->join();
}

std::shared_ptr<Ticket> Engine::submit(std::string statement, RequestContext context,
                                       Completion done) {
  auto& state = *impl_->state;
  auto& stats = *state.core->stats;
  constexpr auto relaxed = std::memory_order_relaxed;
  stats.requests_total.fetch_add(1, relaxed);
  auto fail_inline = [&](Error e) -> std::shared_ptr<Ticket> {
    stats.requests_failed.fetch_add(1, relaxed);
    stats.count_error(e.code);
    done(std::unexpected(std::move(e)));
    return std::make_shared<DoneTicket>();
  };

  auto settings = state.settings.load();
  auto request = parse_genai_statement(statement, settings->genai());
  if (!request) return fail_inline(std::move(request.error()));
  (request->type == RequestType::kEmbed ? stats.embed_requests : stats.rerank_requests)
      .fetch_add(1, relaxed);
  if (!state.running.load(std::memory_order_acquire)) return fail_inline(unavailable_error());
  int64_t limit = settings->genai().max_queue;
  if (state.core->admitted.fetch_add(1, std::memory_order_acq_rel) >= limit) {
    state.core->admitted.fetch_sub(1, std::memory_order_acq_rel);
    return fail_inline(genai_error(errc::kOverloaded,
                                   "GENAI: overloaded: genai-max_queue=" + std::to_string(limit) +
                                       " requests are already in progress; retry later"));
  }
  stats.requests_in_flight.fetch_add(1, relaxed);

  auto job = std::make_shared<Job>();
  job->request = std::move(*request);
  job->context = std::move(context);
  job->done = std::move(done);
  job->settings = std::move(settings);
  job->core = state.core;
  auto ticket = std::make_shared<JobTicket>(job);

  // A thread picked from an older set may have exited after a resize: the
  // post fails and the next pick sees the current set.
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto worker = state.pick();
    if (!worker) break;
    worker->active_jobs.fetch_add(1, std::memory_order_acq_rel);
    job->worker = worker;
    if (job->request.document_from_sql) {
      if (!job->context.run_sql) {
        job->finish(std::unexpected(invalid_request(
            "document_from_sql needs a MySQL backend, and none is configured for user '" +
            job->context.username + "'")));
        return ticket;
      }
      stats.sql_document_requests.fetch_add(1, relaxed);
      std::string sql = *job->request.document_from_sql;
      auto run_sql = job->context.run_sql;
      run_sql(std::move(sql), [job](Result<mysql::ResultSet> rows) {
        if (job->completed.load(std::memory_order_acquire)) return;
        job->sql_result = std::move(rows);
        if (!job->worker->post_run(job)) job->finish(std::unexpected(unavailable_error()));
      });
      return ticket;
    }
    if (worker->post_run(job)) return ticket;
    job->worker = nullptr;
    worker->job_released();
  }
  job->finish(std::unexpected(unavailable_error()));
  return ticket;
}

}  // namespace gp::genai
