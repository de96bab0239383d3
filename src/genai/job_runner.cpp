#include "genai/job_runner.h"

#include <algorithm>
#include <span>

#include "genai/errors.h"
#include "genai/lexical.h"
#include "genai/rerank_adapter.h"
#include "genai/result_builder.h"
#include "genai/service_error.h"

namespace gp::genai {
namespace {

using mysql::ResultSet;

Result<ResultSet> build_result(Job& job) {
  const auto& req = job.request;
  Computed computed{job.embeddings, job.scores, job.positions, req.documents.size()};
  if (req.type == RequestType::kEmbed) {
    if (job.sql_result)
      return embed_result_from_sql(std::move(**job.sql_result), computed, req.format);
    return embed_result(computed, req.format);
  }
  if (job.sql_result)
    return rerank_result_from_sql(std::move(**job.sql_result), computed, req.top_n);
  return rerank_result(computed, std::move(job.request.documents), req.top_n, req.columns);
}

// Blank documents stay out of the upstream request (SPEC-GENAI §2).
void select_upstream(Job& job) {
  auto& docs = job.request.documents;
  job.upstream.reserve(docs.size());
  job.positions.reserve(docs.size());
  for (size_t i = 0; i < docs.size(); ++i) {
    if (is_blank_document(docs[i])) continue;
    job.upstream.push_back(*docs[i]);
    job.positions.push_back(i);
  }
}

void run_lexical(HttpWorker& worker, Job& job) {
  const auto& docs = job.upstream;
  if (job.request.type == RequestType::kEmbed) {
    job.embeddings = lexical::embed_all(docs, job.settings->genai().lexical_dimensions);
  } else {
    job.scores = lexical::bm25(job.request.query, docs);
  }
  job.core->stats->lexical_requests.fetch_add(1, std::memory_order_relaxed);
  finish_job(worker, job, build_result(job));
}

// Places one batch's vectors at its offset; every batch must agree on the
// dimension.
Result<void> merge_embeddings(Job& job, Embeddings&& part, size_t offset, size_t total) {
  if (offset == 0 && part.count == total) {
    job.embeddings = std::move(part);
    return {};
  }
  auto& all = job.embeddings;
  if (all.dimension == 0) {
    all.count = total;
    all.dimension = part.dimension;
    all.values.assign(total * part.dimension, 0.0);
  } else if (all.dimension != part.dimension) {
    return std::unexpected(invalid_answer("batches have different dimensions (" +
                                          std::to_string(all.dimension) + " and " +
                                          std::to_string(part.dimension) + ")"));
  }
  all.single_precision = all.single_precision || part.single_precision;
  std::copy(part.values.begin(), part.values.end(),
            all.values.begin() + static_cast<std::ptrdiff_t>(offset * all.dimension));
  return {};
}

Error transport_error(const ServiceEndpoint& ep, const Transfer& t, CURLcode code,
                      long elapsed_ms) {
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return genai_error(errc::kServiceTimeout,
                       "GENAI: " + ep.service + " service " + ep.display_uri + " timed out after " +
                           std::to_string(elapsed_ms) + " ms (" + ep.timeout_variable + "=" +
                           std::to_string(ep.timeout_ms) + ")");
  }
  if (t.too_large) {
    return genai_error(errc::kInvalidAnswer, "GENAI: invalid answer from " + ep.service +
                                                 " service " + ep.display_uri +
                                                 ": the answer is larger than 1 GiB");
  }
  std::string detail = t.error[0] ? std::string(t.error) : std::string(curl_easy_strerror(code));
  return genai_error(errc::kServiceUnreachable, "GENAI: " + ep.service + " service " +
                                                    ep.display_uri + " is unreachable: " + detail);
}

}  // namespace

Error unavailable_error() {
  return genai_error(errc::kUnavailable, "GENAI: module unavailable (the GenAI engine is stopped)");
}

Error cancelled_error() {
  return genai_error(errc::kCancelled, "GENAI: request cancelled (the client went away)");
}

// Callers hold a reference to the job (their task, or the finished
// transfer), so untrack() never destroys it here.
void finish_job(HttpWorker& worker, Job& job, Result<ResultSet> result) {
  worker.cancel_transfers(job);
  worker.untrack(&job);
  job.finish(std::move(result));
}

void cancel_job(HttpWorker& worker, const std::shared_ptr<Job>& job) {
  finish_job(worker, *job, std::unexpected(cancelled_error()));
}

void run_job(HttpWorker& worker, const std::shared_ptr<Job>& job) {
  if (job->completed.load(std::memory_order_acquire)) return;
  if (job->cancel_requested.load(std::memory_order_acquire)) {
    job->finish(std::unexpected(cancelled_error()));
    return;
  }
  worker.track(job);
  const auto& genai = job->settings->genai();
  auto& stats = *job->core->stats;
  if (job->sql_result) {
    if (!*job->sql_result) {
      finish_job(worker, *job, std::unexpected(job->sql_result->error()));
      return;
    }
    auto docs = documents_from_rows(**job->sql_result, genai);
    if (!docs) {
      finish_job(worker, *job, std::unexpected(docs.error()));
      return;
    }
    job->request.documents = std::move(*docs);
  }
  select_upstream(*job);
  size_t total = job->upstream.size();
  stats.documents_processed.fetch_add(total, std::memory_order_relaxed);
  if (total == 0) {  // no rows selected, or every document blank
    finish_job(worker, *job, build_result(*job));
    return;
  }
  const ServiceEndpoint& ep = job->endpoint();
  if (ep.lexical) {
    run_lexical(worker, *job);
    return;
  }
  if (job->request.type == RequestType::kRerank) job->scores.assign(total, 0.0);
  long threads = std::max(1, genai.threads);
  worker.apply_limits((genai.endpoint_concurrency + threads - 1) / threads);
  size_t batch = genai.batch_size > 0 ? static_cast<size_t>(genai.batch_size) : total;
  job->batches_pending = (total + batch - 1) / batch;
  std::span<std::string> docs(job->upstream);
  for (size_t offset = 0; offset < total; offset += batch) {
    size_t count = std::min(batch, total - offset);
    auto part = docs.subspan(offset, count);
    std::string body = job->request.type == RequestType::kEmbed
                           ? build_embedding_body(part, ep.model, ep.tei_inputs)
                           : build_rerank_body(job->request.query, part, ep.model);
    if (auto r = worker.add_transfer(job, offset, count, std::move(body)); !r) {
      finish_job(worker, *job, std::unexpected(r.error()));
      return;
    }
  }
}

void transfer_done(HttpWorker& worker, Transfer& t, CURLcode code, long http_status,
                   long elapsed_ms) {
  Job& job = *t.job;
  if (job.completed.load(std::memory_order_acquire)) return;
  const ServiceEndpoint& ep = job.endpoint();
  if (code != CURLE_OK) {
    finish_job(worker, job, std::unexpected(transport_error(ep, t, code, elapsed_ms)));
    return;
  }
  if (http_status < 200 || http_status >= 300) {
    std::string message = extract_service_message(t.response);
    finish_job(worker, job,
               std::unexpected(genai_error(errc::kServiceError,
                                           "GENAI: " + ep.service + " service " + ep.display_uri +
                                               " answered HTTP " + std::to_string(http_status) +
                                               (message.empty() ? "" : ": " + message))));
    return;
  }
  size_t total = job.upstream.size();
  Result<void> merged;
  if (job.request.type == RequestType::kEmbed) {
    auto parsed = parse_embedding_answer(t.response, t.count, worker.parser());
    merged = parsed ? merge_embeddings(job, std::move(*parsed), t.offset, total)
                    : Result<void>(std::unexpected(parsed.error()));
  } else {
    auto parsed = parse_rerank_answer(t.response, t.count, worker.parser());
    if (parsed) {
      std::copy(parsed->begin(), parsed->end(),
                job.scores.begin() + static_cast<std::ptrdiff_t>(t.offset));
    } else {
      merged = std::unexpected(parsed.error());
    }
  }
  if (!merged) {
    Error e = merged.error();
    e.message = "GENAI: invalid answer from " + ep.service + " service " + ep.display_uri + ": " +
                e.message;
    finish_job(worker, job, std::unexpected(std::move(e)));
    return;
  }
  if (--job.batches_pending == 0) finish_job(worker, job, build_result(job));
}

}  // namespace gp::genai
