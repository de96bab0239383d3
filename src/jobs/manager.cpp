#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <future>
#include <map>
#include <thread>
#include <vector>

#include "core/coroutine_warnings.h"
#include "jobs/job_runner.h"
#include "jobs/jobs.h"

namespace gp::jobs {

namespace {

bool same_job(const GenaiJob& a, const GenaiJob& b) {
  return job_signature(a) == job_signature(b) && a.username == b.username &&
         a.interval_s == b.interval_s && a.batch_size == b.batch_size &&
         a.concurrency == b.concurrency && a.active == b.active;
}

bool same_user(const MysqlUser& a, const MysqlUser& b) {
  return a.username == b.username && a.password == b.password &&
         a.default_hostgroup == b.default_hostgroup && a.active == b.active;
}

const MysqlUser* find_user(const RuntimeConfig& config, const std::string& name) {
  for (auto& u : config.users) {
    if (u.username == name) return &u;
  }
  return nullptr;
}

}  // namespace

struct JobManager::Impl : std::enable_shared_from_this<JobManager::Impl> {
  Impl(ConfigStore& config, genai::Engine& engine, backend::BackendManager& backends,
       JobCheckpointStore& checkpoints)
      : config(config), services{engine, backends, checkpoints, errors, &endpoint_concurrency} {}

  ConfigStore& config;
  JobErrors errors;
  std::atomic<int> endpoint_concurrency{64};
  JobServices services;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  bool started = false;

  // One per configured job, on the io thread only (except `progress`).
  struct Running {
    GenaiJob job;
    MysqlUser user;
    std::shared_ptr<StopFlag> stop;
    std::shared_ptr<bool> finished;
  };
  std::map<int64_t, Running> running;
  mutable std::mutex progress_mutex;
  std::map<int64_t, std::shared_ptr<JobProgress>> progress;

  // Runs being stopped, by job id: a new run of the same job waits for
  // them, so that two never write the same rows at once.
  std::map<int64_t, std::vector<std::shared_ptr<bool>>> retiring;

  // On the io thread: starts, stops and restarts jobs to match `snapshot`.
  void apply(const std::shared_ptr<const RuntimeConfig>& snapshot) {
    endpoint_concurrency.store(snapshot->genai.endpoint_concurrency);
    std::map<int64_t, const GenaiJob*> wanted;
    for (auto& j : snapshot->jobs) wanted[j.job_id] = &j;
    for (auto it = running.begin(); it != running.end();) {
      auto w = wanted.find(it->first);
      const MysqlUser* user =
          w == wanted.end() ? nullptr : find_user(*snapshot, w->second->username);
      // A run that ended (done or failed) starts again: a failed job is
      // retried when configuration is loaded, a done one finds its
      // checkpoint and stays done.
      bool keep = w != wanted.end() && user && same_job(it->second.job, *w->second) &&
                  same_user(*user, it->second.user) && !*it->second.finished;
      if (keep) {
        ++it;
        continue;
      }
      it->second.stop->requested = true;
      retiring[it->first].push_back(it->second.finished);
      it = running.erase(it);
    }
    for (auto& [id, flags] : retiring) {
      std::erase_if(flags, [](const std::shared_ptr<bool>& f) { return *f; });
    }
    std::erase_if(retiring, [](const auto& entry) { return entry.second.empty(); });
    // Runs start after the lock is released: a run's first steps (its
    // checkpoint, read through the admin) may happen inline, and the admin
    // reads stats_genai_jobs under its own lock.
    std::vector<std::pair<Running, std::shared_ptr<JobProgress>>> starting;
    std::unique_lock lock(progress_mutex);
    for (auto it = progress.begin(); it != progress.end();) {
      if (!wanted.contains(it->first)) {
        errors.forget(it->first);
        it = progress.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [id, job] : wanted) {
      if (running.contains(id)) continue;
      auto p = std::make_shared<JobProgress>(id);
      progress[id] = p;
      if (!job->active) {
        p->set_state(JobState::kDone);
        p->set_error("inactive (genai_jobs.active = 0)", false);
        continue;
      }
      const MysqlUser* user = find_user(*snapshot, job->username);
      if (!user) {
        std::string why =
            fmt::format("genai job {}: user '{}' is not in mysql_users", id, job->username);
        spdlog::error("{}", why);
        p->set_error(why, true);
        continue;
      }
      Running r{*job, *user, std::make_shared<StopFlag>(), std::make_shared<bool>(false)};
      running[id] = r;
      starting.emplace_back(r, p);
    }
    lock.unlock();
    for (auto& [r, p] : starting) launch(r, p, retiring[r.job.job_id]);
  }

  void launch(const Running& r, std::shared_ptr<JobProgress> p,
              std::vector<std::shared_ptr<bool>> before) {
    auto self = shared_from_this();
    asio::co_spawn(
        io,
        [self, r, p, before]() -> asio::awaitable<void> {
          asio::steady_timer timer(self->io);
          for (auto& f : before) {
            while (!*f) {
              timer.expires_after(std::chrono::milliseconds(20));
              co_await timer.async_wait(asio::use_awaitable);
            }
          }
          co_await run_job(r.job, r.user, self->services, p, r.stop);
        },
        [r](std::exception_ptr e) {
          *r.finished = true;
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            spdlog::error("genai job {}: stopped by an internal error: {}", r.job.job_id,
                          ex.what());
          }
        });
  }
};

JobManager::JobManager(ConfigStore& config, MetricsRegistry& metrics, genai::Engine& engine,
                       backend::BackendManager& backends, JobCheckpointStore& checkpoints)
    : impl_(std::make_shared<Impl>(config, engine, backends, checkpoints)) {
  std::weak_ptr<Impl> weak = impl_;
  metrics.register_table("stats_genai_jobs", jobs_columns(), [weak] {
    auto s = weak.lock();
    if (!s) return StatsTable{};
    std::lock_guard lock(s->progress_mutex);
    return jobs_table(s->progress);
  });
  metrics.register_table("stats_genai_job_errors", JobErrors::columns(), [weak] {
    auto s = weak.lock();
    return s ? s->errors.table() : StatsTable{};
  });
  config.subscribe([weak](const std::shared_ptr<const RuntimeConfig>& next) {
    auto s = weak.lock();
    if (!s || !s->started) return;
    asio::post(s->io, [s, next] { s->apply(next); });
  });
}

JobManager::~JobManager() {
  stop();
}

void JobManager::start() {
  auto& s = *impl_;
  if (s.started) return;
  s.started = true;
  s.work.emplace(s.io.get_executor());
  s.thread = std::thread([&s] {
    pthread_setname_np(pthread_self(), "genai-jobs");
    s.io.run();
  });
  auto self = impl_;
  asio::post(s.io, [self] { self->apply(self->config.current()); });
}

void JobManager::stop() {
  auto& s = *impl_;
  if (!s.started) return;
  s.started = false;
  auto self = impl_;
  asio::post(s.io, [self] {
    for (auto& [id, r] : self->running) r.stop->requested = true;
  });
  // Jobs end at their next batch; a batch in flight is given a moment.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    bool all = true;
    std::promise<bool> done;
    auto f = done.get_future();
    asio::post(s.io, [self, &done] {
      bool finished = true;
      for (auto& [id, r] : self->running) finished = finished && *r.finished;
      done.set_value(finished);
    });
    all = f.get();
    if (all || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  s.work.reset();
  s.io.stop();
  if (s.thread.joinable()) s.thread.join();
}

}  // namespace gp::jobs
