// Cross-session micro-batching of embed statements on one engine loop:
// statements for the same model that arrive while an upstream request for it
// is in flight wait (at most `window`) and go together as one request; the
// answer is split back by index. A statement never waits when nothing is in
// flight for its model. The shared request takes the resilient path of
// single statements (genai/resilient_call.h): endpoint choice, retries with
// Retry-After, failover, hedging, cooldown and max_concurrency. Thread
// affinity: the loop's thread.
#pragma once

#include <simdjson.h>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "genai/embedding_adapter.h"
#include "genai/endpoint.h"
#include "genai/http_loop.h"

namespace gp::genai {

class EngineLoop;
struct Cancellation;

struct BatchRequest {
  std::shared_ptr<const EngineSettings> settings;  // keeps `model` alive
  const ModelRuntime* model = nullptr;
  std::vector<std::string> documents;
  std::chrono::microseconds window{0};
  size_t max_documents = 1;  // documents per upstream request
};

class EmbedBatcher {
 public:
  using Done = std::function<void(Result<Embeddings>)>;
  using WaiterId = uint64_t;

  EmbedBatcher(asio::io_context& io, GenaiStats& stats);
  ~EmbedBatcher();
  // The loop that owns this batcher, whose attempts the requests use.
  void set_loop(std::weak_ptr<EngineLoop> loop) { loop_ = std::move(loop); }

  WaiterId submit(BatchRequest request, Done done);
  // Answers the statement now with `error`; its documents still go (or
  // went) upstream with the others, whose answers are not affected. A
  // request that no statement waits for any more is aborted.
  void cancel(WaiterId id, const Error& error);
  // Answers every statement waiting or in flight with `error`.
  void abort_all(const Error& error);

 private:
  struct Waiter {
    WaiterId id = 0;
    size_t offset = 0;
    size_t count = 0;
    Done done;
  };
  struct Batch {
    std::shared_ptr<const EngineSettings> settings;
    const ModelRuntime* model = nullptr;
    std::vector<std::string> documents;
    std::vector<Waiter> waiters;
    std::shared_ptr<Cancellation> cancel;  // once sent
    bool all_cancelled() const {
      for (const auto& w : waiters) {
        if (w.done) return false;
      }
      return true;
    }
  };
  struct Lane {
    explicit Lane(asio::io_context& io) : timer(io) {}
    size_t in_flight = 0;
    std::shared_ptr<Batch> pending;
    asio::steady_timer timer;
  };

  void join(Batch& batch, BatchRequest& request, WaiterId id, Done done);
  void flush(const std::string& key);
  void send(const std::string& key, std::shared_ptr<Batch> batch);
  void deliver(Batch& batch, Result<Embeddings> answer);

  asio::io_context& io_;
  GenaiStats& stats_;
  WaiterId next_id_ = 1;
  std::unordered_map<std::string, std::unique_ptr<Lane>> lanes_;
  // Every statement not answered yet, by id, with the batch that holds it.
  std::unordered_map<WaiterId, std::weak_ptr<Batch>> waiters_;
  simdjson::dom::parser parser_;
  std::weak_ptr<EngineLoop> loop_;
};

}  // namespace gp::genai
