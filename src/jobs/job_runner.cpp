#include "jobs/job_runner.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/channel.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "backend/backend.h"
#include "core/coroutine_warnings.h"
#include "genai/engine.h"
#include "mysql/protocol.h"

namespace gp::jobs {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kCheckpointEvery = 1s;
constexpr auto kLogEvery = 5s;
constexpr auto kFirstPause = 500ms;
constexpr auto kLongestPause = 5s;
// Rounds of re-reading rows a backfill write skipped because their text
// changed meanwhile; a row still changing after that is left to a later run.
constexpr int kRecheckRounds = 3;

int64_t unix_now() {
  return static_cast<int64_t>(std::time(nullptr));
}

// One row of a page: key, document, its MD5 and (sync jobs) the change value.
struct PageRow {
  SqlValue key;
  std::optional<std::string> document;
  std::string md5;
  std::optional<SqlValue> change;
};

struct Batch {
  uint64_t seq = 0;
  std::vector<PageRow> rows;
  Position end;  // where the job is once this batch and those before it are written
};

constexpr uint64_t kEndOfPhase = ~uint64_t{0};

// A batch whose vectors are ready, on its way to a writer.
struct Embedded {
  Batch batch;
  std::vector<RowWrite> writes;
  int64_t done = 0, failed = 0;  // rows settled without a write (blank) or refused
};

using BatchChannel = asio::experimental::channel<void(std::error_code, Batch)>;
using WriteChannel = asio::experimental::channel<void(std::error_code, Embedded)>;
using DoneChannel = asio::experimental::channel<void(std::error_code, bool)>;

nlohmann::json value_json(const std::optional<SqlValue>& v) {
  if (!v) return nullptr;
  return nlohmann::json{{"text", v->text}, {"number", v->number}};
}

std::optional<SqlValue> json_value(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("text") || !j["text"].is_string()) return std::nullopt;
  return SqlValue{j["text"].get<std::string>(), j.value("number", false)};
}

class JobRun {
 public:
  JobRun(GenaiJob job, MysqlUser user, JobServices& services, std::shared_ptr<JobProgress> progress,
         std::shared_ptr<StopFlag> stop, asio::any_io_executor executor)
      : job_(std::move(job)),
        user_(std::move(user)),
        services_(services),
        progress_(std::move(progress)),
        stop_(std::move(stop)),
        executor_(std::move(executor)),
        sync_job_(job_.mode == "sync") {}

  asio::awaitable<void> run() {
    if (!resume()) co_return;
    reader_ = session();
    if (progress_state_.phase == Phase::kBackfill && !progress_state_.done) {
      if (fresh_ && sync_job_) {
        auto until = co_await read_value(max_change_query(job_));
        if (!until) co_return;
        progress_state_.position.until = *until;
      }
      if (auto total = co_await read_value(count_query(job_)); total && *total) {
        int64_t left = std::strtoll((*total)->text.c_str(), nullptr, 10);
        progress_->set_total(progress_->rows_done() + progress_->rows_failed() + left);
      } else if (!total) {
        co_return;
      }
      progress_->set_state(JobState::kRunning);
      spdlog::info("genai job {}: {} of {} into {}, {} mode", job_.job_id,
                   fresh_ ? "starting" : "resuming", job_.table_name, job_.target_column,
                   job_.mode);
      bool finished = co_await run_phase(Phase::kBackfill);
      if (!finished) co_return;
      if (sync_job_) {
        progress_state_.phase = Phase::kSync;
        progress_state_.position.key.reset();
        progress_state_.position.change = progress_state_.position.until;
      } else {
        progress_state_.done = true;
      }
      save_checkpoint();
      spdlog::info("genai job {}: backfill done: {} rows embedded, {} failed", job_.job_id,
                   progress_->rows_done(), progress_->rows_failed());
    }
    if (!sync_job_) {
      progress_->set_state(JobState::kDone);
      co_return;
    }
    while (!stopped()) {
      progress_->set_state(JobState::kWaiting);
      co_await sleep(std::chrono::seconds(job_.interval_s));
      if (stopped()) break;
      progress_->set_state(JobState::kRunning);
      bool finished = co_await run_phase(Phase::kSync);
      if (!finished) co_return;
    }
  }

 private:
  bool stopped() const { return stop_->requested.load(std::memory_order_relaxed) || failed_; }

  std::unique_ptr<backend::BackendSession> session() {
    backend::ClientInfo info;
    info.username = user_.username;
    info.capabilities = mysql::cap::kProtocol41 | mysql::cap::kLongPassword |
                        mysql::cap::kTransactions | mysql::cap::kSecureConnection |
                        mysql::cap::kMultiResults | mysql::cap::kPluginAuth |
                        mysql::cap::kDeprecateEof;
    info.charset = mysql::charset::kUtf8mb4GeneralCi;
    // No client login reveals a hashed password's SHA1 to a job: its user
    // needs its password in plain text in mysql_users (docs/JOBS.md).
    return std::make_unique<backend::BackendSession>(services_.backends, executor_, user_, info);
  }

  // The checkpoint of this definition, or a fresh start.
  bool resume() {
    auto saved = services_.checkpoints.load(job_.job_id);
    if (!saved) {
      fail("cannot read its checkpoint: " + saved.error().message);
      return false;
    }
    started_at_ = unix_now();
    if (*saved && (*saved)->signature == job_signature(job_)) {
      if (auto p = decode_progress((*saved)->position)) {
        progress_state_ = *p;
        fresh_ = false;
        rows_done_ = (*saved)->rows_done;
        rows_failed_ = (*saved)->rows_failed;
        started_at_ = (*saved)->started_at;
      }
    } else if (*saved) {
      spdlog::info("genai job {}: its definition changed since its checkpoint: starting anew",
                   job_.job_id);
    }
    progress_->resumed(rows_done_, rows_failed_, started_at_);
    if (progress_state_.done) progress_->set_state(JobState::kDone);
    return true;
  }

  void save_checkpoint() {
    JobCheckpoint c;
    c.job_id = job_.job_id;
    c.signature = job_signature(job_);
    c.position = encode_progress(progress_state_);
    c.rows_done = rows_done_;
    c.rows_failed = rows_failed_;
    c.started_at = started_at_;
    if (auto r = services_.checkpoints.save(c); !r) {
      spdlog::warn("genai job {}: cannot save its checkpoint: {}", job_.job_id, r.error().message);
    }
    last_save_ = Clock::now();
  }

  void fail(std::string why) {
    if (failed_) return;
    failed_ = true;
    std::string message = fmt::format("genai job {}: {}", job_.job_id, why);
    spdlog::error("{}", message);
    progress_->set_error(std::move(message), true);
  }

  asio::awaitable<void> sleep(Clock::duration d) {
    // In slices, so that a stop is seen within a fraction of a second.
    auto until = Clock::now() + d;
    asio::steady_timer timer(executor_);
    while (!stopped() && Clock::now() < until) {
      timer.expires_after(std::min<Clock::duration>(until - Clock::now(), 200ms));
      std::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // A statement on `s`, waiting out a backend that is away; nullopt when
  // the job failed or was stopped.
  asio::awaitable<std::optional<mysql::ResultSet>> query(backend::BackendSession& s,
                                                         const std::string& sql) {
    auto pause = std::chrono::duration_cast<Clock::duration>(kFirstPause);
    while (!stopped()) {
      auto r = co_await s.query(sql);
      if (r) co_return std::move(*r);
      Failure f = classify_backend_error(r.error());
      if (f != Failure::kTryLater) {
        fail(fmt::format("the backend refused its statement: {} ({})", r.error().message,
                         r.error().code));
        co_return std::nullopt;
      }
      note_pause(fmt::format("backend unavailable, retrying: {}", r.error().message));
      co_await sleep(pause);
      pause = std::min<Clock::duration>(pause * 2, kLongestPause);
      end_pause();
    }
    co_return std::nullopt;
  }

  // The first value of a one-row query (nullopt inside: SQL NULL); nullopt
  // outside when the job failed or was stopped.
  asio::awaitable<std::optional<std::optional<SqlValue>>> read_value(const std::string& sql) {
    auto rs = co_await query(*reader_, sql);
    if (!rs) co_return std::nullopt;
    std::optional<SqlValue> v;
    if (!rs->rows.empty() && !rs->rows[0].empty() && rs->rows[0][0] && !rs->columns.empty()) {
      v = sql_value(*rs->rows[0][0], rs->columns[0].type);
    }
    co_return v;
  }

  void note_pause(std::string why) {
    if (paused_++ == 0) progress_->set_state(JobState::kPaused);
    progress_->set_error(why, false);
    if (Clock::now() - last_pause_log_ >= kLogEvery) {
      spdlog::warn("genai job {}: paused: {}", job_.job_id, why);
      last_pause_log_ = Clock::now();
    }
  }

  void end_pause() {
    if (--paused_ == 0 && !stopped()) progress_->set_state(JobState::kRunning);
  }

  std::vector<PageRow> rows_of(const mysql::ResultSet& rs) const {
    std::vector<PageRow> rows;
    rows.reserve(rs.rows.size());
    for (auto& r : rs.rows) {
      if (r.size() < 3 || !r[0]) continue;
      PageRow row{sql_value(*r[0], rs.columns[0].type), r[1], r[2].value_or(""), std::nullopt};
      if (sync_job_ && r.size() >= 4 && r[3]) row.change = sql_value(*r[3], rs.columns[3].type);
      rows.push_back(std::move(row));
    }
    return rows;
  }

  // Reads pages and hands batches to the workers; true when the phase ran
  // to its end.
  asio::awaitable<bool> run_phase(Phase phase) {
    size_t workers = static_cast<size_t>(std::max(1, job_.concurrency));
    size_t batch_size = static_cast<size_t>(std::max(1, job_.batch_size));
    BatchChannel batches(executor_, workers);
    WriteChannel embedded(executor_, workers);
    DoneChannel finished(executor_, workers);
    DoneChannel written(executor_, workers);
    next_commit_ = next_seq_ = 0;
    waiting_.clear();
    // Embedding and writing are stages of their own, `concurrency` each, so
    // that the service always has `concurrency` batches in flight while the
    // backend writes the ones before them.
    for (size_t i = 0; i < workers; ++i) {
      asio::co_spawn(executor_, embedder(batches, embedded, finished), asio::detached);
      asio::co_spawn(executor_, writer(embedded, written), asio::detached);
    }
    Position read = progress_state_.position;
    while (!stopped()) {
      auto rs = co_await query(*reader_, page_query(job_, phase, read, batch_size * workers));
      if (!rs) break;
      std::vector<PageRow> rows = rows_of(*rs);
      if (rows.empty()) break;
      for (size_t at = 0; at < rows.size() && !stopped(); at += batch_size) {
        Batch b;
        b.seq = next_seq_++;
        size_t end = std::min(rows.size(), at + batch_size);
        b.rows.assign(std::make_move_iterator(rows.begin() + static_cast<ptrdiff_t>(at)),
                      std::make_move_iterator(rows.begin() + static_cast<ptrdiff_t>(end)));
        read.key = b.rows.back().key;
        if (phase == Phase::kSync) read.change = b.rows.back().change;
        b.end = read;
        std::error_code ec;
        co_await batches.async_send(std::error_code{}, std::move(b),
                                    asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
      }
      if (rs->rows.size() < batch_size * workers) break;
      if (Clock::now() - last_log_ >= kLogEvery) log_progress();
    }
    // One end mark per worker: closing the channel would drop the batches
    // still buffered in it.
    for (size_t i = 0; i < workers; ++i) {
      Batch end;
      end.seq = kEndOfPhase;
      std::error_code ec;
      co_await batches.async_send(std::error_code{}, std::move(end),
                                  asio::redirect_error(asio::use_awaitable, ec));
    }
    for (size_t i = 0; i < workers; ++i) {
      std::error_code ec;
      co_await finished.async_receive(asio::redirect_error(asio::use_awaitable, ec));
    }
    for (size_t i = 0; i < workers; ++i) {
      Embedded end;
      end.batch.seq = kEndOfPhase;
      std::error_code ec;
      co_await embedded.async_send(std::error_code{}, std::move(end),
                                   asio::redirect_error(asio::use_awaitable, ec));
    }
    for (size_t i = 0; i < workers; ++i) {
      std::error_code ec;
      co_await written.async_receive(asio::redirect_error(asio::use_awaitable, ec));
    }
    save_checkpoint();
    co_return !stopped();
  }

  void log_progress() {
    auto row = progress_->row();
    spdlog::info("genai job {}: {} of {} rows embedded, {} failed, {:.0f} rows/s{}", job_.job_id,
                 row.rows_done, row.rows_total, row.rows_failed, row.rows_per_second,
                 row.eta_seconds >= 0 ? fmt::format(", about {} s left", row.eta_seconds) : "");
    last_log_ = Clock::now();
  }

  asio::awaitable<void> embedder(BatchChannel& batches, WriteChannel& embedded,
                                 DoneChannel& finished) {
    for (;;) {
      std::error_code ec;
      Batch b = co_await batches.async_receive(asio::redirect_error(asio::use_awaitable, ec));
      if (ec || b.seq == kEndOfPhase) break;
      if (stopped()) continue;  // not committed: the rows are read again on resume
      Embedded e = co_await embed_rows(b.rows);
      if (stopped()) continue;
      e.batch = std::move(b);
      co_await embedded.async_send(std::error_code{}, std::move(e),
                                   asio::redirect_error(asio::use_awaitable, ec));
    }
    finished.try_send(std::error_code{}, true);
  }

  asio::awaitable<void> writer(WriteChannel& embedded, DoneChannel& written) {
    auto session_of_writer = session();
    for (;;) {
      std::error_code ec;
      Embedded e = co_await embedded.async_receive(asio::redirect_error(asio::use_awaitable, ec));
      if (ec || e.batch.seq == kEndOfPhase) break;
      if (stopped()) continue;
      co_await write_rows(*session_of_writer, e);
      if (stopped()) continue;
      commit(e.batch, e.done, e.failed);
    }
    written.try_send(std::error_code{}, true);
  }

  void commit(const Batch& b, int64_t done, int64_t failed) {
    waiting_[b.seq] = {b.end, done, failed, b.rows.empty() ? "" : b.rows.back().key.text};
    while (!waiting_.empty() && waiting_.begin()->first == next_commit_) {
      auto& w = waiting_.begin()->second;
      progress_state_.position.key = w.end.key;
      progress_state_.position.change = w.end.change;
      rows_done_ += w.rows;
      rows_failed_ += w.failed;
      progress_->add(w.rows, w.failed, std::move(w.last_key));
      waiting_.erase(waiting_.begin());
      ++next_commit_;
    }
    if (Clock::now() - last_save_ >= kCheckpointEvery) save_checkpoint();
  }

  // Holds back while client statements fill the endpoints (SPEC-JOBS §2).
  asio::awaitable<void> yield_to_statements() {
    if (!services_.endpoint_concurrency) co_return;
    int limit = services_.endpoint_concurrency->load(std::memory_order_relaxed);
    asio::steady_timer timer(executor_);
    for (;;) {
      int64_t statements = services_.engine.interactive_in_flight();
      if (stopped() || statements == 0 || statements + job_.concurrency <= limit) break;
      timer.expires_after(5ms);
      std::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // Embeds `documents`, pausing while the service is unwell; an error only
  // for a refusal of these documents (kRow) or of the job (failed_ set).
  asio::awaitable<Result<std::vector<std::optional<std::string>>>> embed(
      const genai::Documents& documents) {
    auto pause = std::chrono::duration_cast<Clock::duration>(kFirstPause);
    std::vector<genai::EmbedFormat> formats(documents.size(), job_.target_format == "binary"
                                                                  ? genai::EmbedFormat::kBinary
                                                                  : genai::EmbedFormat::kJson);
    std::optional<std::string> model;
    if (!job_.model.empty()) model = job_.model;
    for (;;) {
      co_await yield_to_statements();
      if (stopped()) co_return make_error(errc::kGenaiCancelled, "stopped");
      genai::RequestContext context;
      context.username = user_.username;
      context.default_hostgroup = user_.default_hostgroup;
      context.cancel = std::make_shared<genai::Cancellation>();
      context.digest_text = fmt::format("GENAI JOB {}", job_.job_id);
      context.background = true;
      auto r = co_await services_.engine.embed_values(documents, formats, model, context);
      if (r) co_return r;
      Failure f = classify_service_error(r.error());
      if (f == Failure::kRow) co_return r;
      if (f == Failure::kJob) {
        fail(r.error().message);
        co_return r;
      }
      note_pause(r.error().message);
      co_await sleep(pause);
      pause = std::min<Clock::duration>(pause * 2, kLongestPause);
      end_pause();
    }
  }

  void record_row_error(const PageRow& row, const Error& e) {
    services_.errors.add({job_.job_id, row.key.text, e.code, e.message, unix_now()});
  }

  // Embeds `rows`: the writes they need, and the rows settled without one.
  asio::awaitable<Embedded> embed_rows(const std::vector<PageRow>& rows) {
    Embedded out;
    genai::Documents documents;
    documents.reserve(rows.size());
    for (auto& r : rows) documents.push_back(r.document);
    std::vector<std::optional<std::optional<std::string>>> vectors(rows.size());
    auto all = co_await embed(documents);
    if (stopped()) co_return out;
    if (all) {
      for (size_t i = 0; i < rows.size(); ++i) vectors[i] = std::move((*all)[i]);
    } else {
      // A refused batch is tried row by row, so that one bad row costs only
      // itself.
      for (size_t i = 0; i < rows.size() && !stopped(); ++i) {
        if (rows.size() == 1) {
          record_row_error(rows[i], all.error());
          continue;
        }
        genai::Documents single(1, rows[i].document);
        auto one = co_await embed(single);
        if (one) {
          vectors[i] = std::move((*one)[0]);
        } else if (!stopped()) {
          record_row_error(rows[i], one.error());
        }
      }
      if (stopped()) co_return out;
    }
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!vectors[i]) {
        ++out.failed;
        continue;
      }
      // A NULL or blank document leaves a backfill's NULL as it is.
      if (!*vectors[i] && !sync_job_) {
        ++out.done;
        continue;
      }
      out.writes.push_back({rows[i].key, std::move(*vectors[i]), rows[i].md5, rows[i].change});
    }
    co_return out;
  }

  // Writes `e` on `session`; a backfill's rows whose text changed meanwhile
  // are read, embedded and written again.
  asio::awaitable<void> write_rows(backend::BackendSession& session, Embedded& e) {
    for (int round = 0; !e.writes.empty() && !stopped(); ++round) {
      auto result = co_await query(session, write_statement(job_, e.writes));
      if (!result) co_return;
      if (sync_job_ || result->affected_rows >= e.writes.size() || round + 1 >= kRecheckRounds) {
        // A sync job's skipped rows moved on: the next pass takes them.
        e.done += static_cast<int64_t>(e.writes.size());
        co_return;
      }
      std::vector<SqlValue> keys;
      for (auto& w : e.writes) keys.push_back(w.key);
      auto again = co_await query(session, recheck_query(job_, keys));
      if (!again) co_return;
      std::vector<PageRow> rows = rows_of(*again);
      e.done += static_cast<int64_t>(e.writes.size() - rows.size());
      Embedded next = co_await embed_rows(rows);
      e.done += next.done;
      e.failed += next.failed;
      e.writes = std::move(next.writes);
    }
  }

  GenaiJob job_;
  MysqlUser user_;
  JobServices& services_;
  std::shared_ptr<JobProgress> progress_;
  std::shared_ptr<StopFlag> stop_;
  asio::any_io_executor executor_;
  const bool sync_job_;

  std::unique_ptr<backend::BackendSession> reader_;
  Progress progress_state_;
  bool fresh_ = true;
  bool failed_ = false;
  int paused_ = 0;
  int64_t rows_done_ = 0, rows_failed_ = 0, started_at_ = 0;
  Clock::time_point last_save_ = Clock::now();
  Clock::time_point last_log_ = Clock::now();
  Clock::time_point last_pause_log_{};

  struct Done {
    Position end;
    int64_t rows = 0, failed = 0;
    std::string last_key;
  };
  uint64_t next_seq_ = 0, next_commit_ = 0;
  std::map<uint64_t, Done> waiting_;
};

}  // namespace

Failure classify_service_error(const Error& e) {
  switch (e.code) {
    case errc::kGenaiServiceUnreachable:
    case errc::kGenaiServiceTimeout:
    case errc::kGenaiUnavailable:
    case errc::kGenaiOverloaded:
    case errc::kGenaiQuotaExceeded:
      return Failure::kTryLater;
    case errc::kGenaiAccessDenied:
      return Failure::kJob;
    case errc::kGenaiInvalidRequest:
      return e.message.find("unknown model") != std::string::npos ? Failure::kJob : Failure::kRow;
    case errc::kGenaiServiceError: {
      // "answered HTTP <status>": a service that is unwell, not this input.
      size_t at = e.message.find("answered HTTP ");
      int status = at == std::string::npos ? 0 : std::atoi(e.message.c_str() + at + 14);
      bool unwell = status == 408 || status == 429 || status >= 500;
      return unwell ? Failure::kTryLater : Failure::kRow;
    }
    default:
      return Failure::kRow;
  }
}

Failure classify_backend_error(const Error& e) {
  switch (e.code) {
    case errc::kBackendLost:
    case errc::kBackendUnavailable:
    case errc::kQueryTimeout:
    case errc::kTooManyConnections:
    case errc::kServerShutdown:
    case 1205:  // lock wait timeout
    case 1213:  // deadlock
    case 1927:  // connection killed
    case 2006:  // server gone away
      return Failure::kTryLater;
    default:
      return Failure::kJob;
  }
}

std::string job_signature(const GenaiJob& j) {
  return nlohmann::json{j.table_name,    j.key_column,    j.text_expression,
                        j.target_column, j.target_format, j.model,
                        j.filter,        j.mode,          j.change_column}
      .dump();
}

std::string encode_progress(const Progress& p) {
  nlohmann::json j{{"phase", p.phase == Phase::kSync ? "sync" : "backfill"},
                   {"done", p.done},
                   {"key", value_json(p.position.key)},
                   {"change", value_json(p.position.change)},
                   {"until", value_json(p.position.until)}};
  return j.dump();
}

std::optional<Progress> decode_progress(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  Progress p;
  p.phase = j.value("phase", "") == "sync" ? Phase::kSync : Phase::kBackfill;
  p.done = j.value("done", false);
  if (j.contains("key")) p.position.key = json_value(j["key"]);
  if (j.contains("change")) p.position.change = json_value(j["change"]);
  if (j.contains("until")) p.position.until = json_value(j["until"]);
  return p;
}

asio::awaitable<void> run_job(GenaiJob job, MysqlUser user, JobServices& services,
                              std::shared_ptr<JobProgress> progress,
                              std::shared_ptr<StopFlag> stop) {
  auto executor = co_await asio::this_coro::executor;
  JobRun run(std::move(job), std::move(user), services, std::move(progress), std::move(stop),
             executor);
  co_await run.run();
}

}  // namespace gp::jobs
