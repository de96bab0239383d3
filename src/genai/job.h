// One admitted GENAI: request inside the engine. Owned by shared_ptr: the
// engine thread that runs it, its HTTP transfers and a pending
// document_from_sql callback hold references; the client's Ticket holds a
// weak one.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "genai/embedding_adapter.h"
#include "genai/endpoint.h"
#include "genai/engine.h"
#include "genai/request.h"
#include "genai/stats.h"

namespace gp::genai {

class HttpWorker;
struct Transfer;

// Engine-wide state that jobs report to when they finish.
struct EngineCore {
  std::shared_ptr<GenaiStats> stats = std::make_shared<GenaiStats>();
  std::atomic<int64_t> admitted{0};  // in flight + queued, bounded by genai-max_queue
};

struct Job {
  GenaiRequest request;
  RequestContext context;
  Engine::Completion done;
  std::shared_ptr<const EngineSettings> settings;  // the snapshot at submit time
  std::shared_ptr<EngineCore> core;
  std::shared_ptr<HttpWorker> worker;  // fixed at submit
  std::chrono::steady_clock::time_point submitted = std::chrono::steady_clock::now();

  std::atomic<bool> completed{false};
  std::atomic<bool> cancel_requested{false};

  // document_from_sql: the backend's answer, set before the job is posted.
  std::optional<Result<mysql::ResultSet>> sql_result;

  // Engine-thread state.
  std::vector<std::string> upstream;  // the documents that are sent (not blank)
  std::vector<size_t> positions;      // upstream[k] is request.documents[positions[k]]
  std::vector<Transfer*> transfers;   // in flight
  size_t batches_pending = 0;
  std::vector<double> scores;
  Embeddings embeddings;

  const ServiceEndpoint& endpoint() const {
    return request.type == RequestType::kEmbed ? settings->embedding : settings->rerank;
  }

  // Calls `done` unless it was called already; returns whether it did. Safe
  // from any thread; the engine thread calls it except when the engine is
  // gone.
  bool finish(Result<mysql::ResultSet> result);
};

}  // namespace gp::genai
