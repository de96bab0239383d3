#include "genai/batcher.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <span>

#include "core/coroutine_warnings.h"
#include "genai/engine_loop.h"
#include "genai/provider.h"
#include "genai/resilient_call.h"
#include "genai/service_reply.h"

namespace gp::genai {
namespace {

std::string lane_key(const ModelRuntime& model) {
  const ServiceEndpoint& ep = model.endpoints.front();
  return model.name + '\n' + ep.uri + '\n' + ep.model + '\n' + ep.authorization;
}

}  // namespace

EmbedBatcher::EmbedBatcher(asio::io_context& io, GenaiStats& stats) : io_(io), stats_(stats) {}

EmbedBatcher::~EmbedBatcher() = default;

EmbedBatcher::WaiterId EmbedBatcher::submit(BatchRequest request, Done done) {
  WaiterId id = next_id_++;
  std::string key = lane_key(*request.model);
  auto& lane_ptr = lanes_[key];
  if (!lane_ptr) lane_ptr = std::make_unique<Lane>(io_);
  Lane& lane = *lane_ptr;
  if (lane.in_flight == 0 && !lane.pending) {
    auto batch = std::make_shared<Batch>();
    join(*batch, request, id, std::move(done));
    send(key, std::move(batch));
    return id;
  }
  if (lane.pending &&
      lane.pending->documents.size() + request.documents.size() > request.max_documents) {
    flush(key);
  }
  if (!lane.pending) {
    lane.pending = std::make_shared<Batch>();
    lane.timer.expires_after(request.window);
    lane.timer.async_wait([this, key](std::error_code ec) {
      if (!ec) flush(key);
    });
  }
  join(*lane.pending, request, id, std::move(done));
  stats_.batched_statements.fetch_add(1, std::memory_order_relaxed);
  if (lane.pending->documents.size() >= request.max_documents) flush(key);
  return id;
}

void EmbedBatcher::join(Batch& batch, BatchRequest& request, WaiterId id, Done done) {
  if (!batch.model) {
    batch.settings = request.settings;
    batch.model = request.model;
  }
  Waiter w;
  w.id = id;
  w.offset = batch.documents.size();
  w.count = request.documents.size();
  w.done = std::move(done);
  for (auto& d : request.documents) batch.documents.push_back(std::move(d));
  batch.waiters.push_back(std::move(w));
}

void EmbedBatcher::flush(const std::string& key) {
  auto it = lanes_.find(key);
  if (it == lanes_.end() || !it->second->pending) return;
  Lane& lane = *it->second;
  lane.timer.cancel();
  send(key, std::move(lane.pending));
  lane.pending.reset();
}

void EmbedBatcher::send(const std::string& key, std::shared_ptr<Batch> batch) {
  for (auto& w : batch->waiters) waiters_[w.id] = batch;
  lanes_[key]->in_flight++;
  batch->cancel = std::make_shared<Cancellation>();
  auto loop = loop_.lock();
  auto run = [](EmbedBatcher* self, std::string key, std::shared_ptr<Batch> batch,
                std::shared_ptr<EngineLoop> loop) -> asio::awaitable<void> {
    const ModelRuntime& model = *batch->model;
    const ServiceEndpoint& first = model.endpoints.front();
    std::span<std::string> docs(batch->documents);
    std::vector<std::string> bodies;
    bodies.push_back(build_embedding_body(docs, first.model, first.tei_inputs));
    ResilientTarget target{&model, batch->settings, std::move(loop), batch->cancel, &self->stats_};
    bool cancelled = false;
    auto outcomes = co_await send_resilient(target, std::move(bodies), cancelled);
    CallOutcome& out = outcomes[0];
    Result<Embeddings> answer;
    if (cancelled) {
      answer = std::unexpected(cancelled_error());
    } else if (out.error) {
      answer = std::unexpected(*out.error);
    } else if (auto too_long = input_too_long(out.reply)) {
      answer = std::unexpected(input_too_long_error(
          *out.endpoint, *too_long,
          "one of the " + std::to_string(batch->documents.size()) + " documents of this request"));
    } else if (auto failed = reply_error(*out.endpoint, out.reply, false)) {
      if (out.attempts > 1)
        failed->message += " (gave up after " + std::to_string(out.attempts) + " attempts)";
      answer = std::unexpected(*failed);
    } else {
      answer = parse_embedding_answer(out.reply.body, batch->documents.size(), self->parser_);
      if (!answer) {
        answer = std::unexpected(answer_error(*out.endpoint, answer.error()));
      } else if (auto e = check_dimensions(model, *answer, *out.endpoint)) {
        answer = std::unexpected(*e);
      }
      if (!answer) model.health[out.endpoint_index]->invalid_answer("invalid answer");
    }
    auto lane = self->lanes_.find(key);
    if (lane != self->lanes_.end()) lane->second->in_flight--;
    self->deliver(*batch, std::move(answer));
    // A request slot is free: what waits for this model goes now.
    if (lane != self->lanes_.end() && lane->second->pending) self->flush(key);
  };
  if (!loop) {
    auto lane = lanes_.find(key);
    if (lane != lanes_.end()) lane->second->in_flight--;
    deliver(*batch, std::unexpected(unavailable_error()));
    return;
  }
  asio::co_spawn(io_, run(this, key, std::move(batch), std::move(loop)), asio::detached);
}

void EmbedBatcher::deliver(Batch& batch, Result<Embeddings> answer) {
  // The service's token count covers every statement of the request: each
  // gets the share of its documents.
  uint64_t tokens = answer ? answer->upstream_tokens : 0;
  size_t total = batch.documents.size();
  for (auto& w : batch.waiters) {
    if (!w.done) continue;  // cancelled
    waiters_.erase(w.id);
    Done done = std::move(w.done);
    if (!answer) {
      done(std::unexpected(answer.error()));
      continue;
    }
    const Embeddings& all = *answer;
    Embeddings part;
    part.count = w.count;
    part.dimension = all.dimension;
    part.single_precision = all.single_precision;
    part.upstream_tokens = total > 0 ? tokens * w.count / total : 0;
    auto first = all.values.begin() + static_cast<std::ptrdiff_t>(w.offset * all.dimension);
    part.values.assign(first, first + static_cast<std::ptrdiff_t>(w.count * all.dimension));
    done(std::move(part));
  }
}

void EmbedBatcher::cancel(WaiterId id, const Error& error) {
  auto it = waiters_.find(id);
  std::shared_ptr<Batch> batch;
  if (it != waiters_.end()) {
    batch = it->second.lock();
    waiters_.erase(it);
  } else {
    for (auto& [key, lane] : lanes_) {
      if (lane->pending) {
        for (auto& w : lane->pending->waiters) {
          if (w.id == id) batch = lane->pending;
        }
      }
    }
  }
  if (!batch) return;
  Done done;
  for (auto& w : batch->waiters) {
    if (w.id != id || !w.done) continue;
    done = std::move(w.done);
    w.done = nullptr;
  }
  if (!done) return;
  // Aborted before the answer goes, so that the statement's end is the end
  // of its upstream work too.
  if (batch->all_cancelled()) {
    if (batch->cancel) {
      batch->cancel->requested = true;
      batch->cancel->signal.emit(asio::cancellation_type::terminal);
    } else {
      for (auto& [key, lane] : lanes_) {
        if (lane->pending != batch) continue;
        lane->timer.cancel();
        lane->pending.reset();
      }
    }
  }
  done(std::unexpected(error));
}

void EmbedBatcher::abort_all(const Error& error) {
  std::vector<std::shared_ptr<Batch>> batches;
  for (auto& [id, weak] : waiters_) {
    if (auto b = weak.lock()) batches.push_back(b);
  }
  for (auto& [key, lane] : lanes_) {
    lane->timer.cancel();
    if (lane->pending) batches.push_back(std::move(lane->pending));
    lane->pending.reset();
  }
  waiters_.clear();
  for (auto& b : batches) {
    for (auto& w : b->waiters) {
      if (!w.done) continue;
      Done done = std::move(w.done);
      w.done = nullptr;
      done(std::unexpected(error));
    }
  }
}

}  // namespace gp::genai
