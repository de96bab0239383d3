#include "genai/batcher.h"

#include <span>

#include "genai/service_reply.h"

namespace gp::genai {
namespace {

std::string lane_key(const ServiceEndpoint& ep) {
  return ep.uri + '\n' + ep.model + '\n' + ep.authorization;
}

}  // namespace

EmbedBatcher::EmbedBatcher(asio::io_context& io, HttpLoop& http, GenaiStats& stats)
    : io_(io), http_(http), stats_(stats) {}

EmbedBatcher::~EmbedBatcher() = default;

EmbedBatcher::WaiterId EmbedBatcher::submit(BatchRequest request, Done done) {
  WaiterId id = next_id_++;
  std::string key = lane_key(*request.endpoint);
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
  if (!batch.endpoint) {
    batch.settings = request.settings;
    batch.endpoint = request.endpoint;
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
  std::span<std::string> docs(batch->documents);
  std::vector<HttpCall> calls;
  calls.push_back({batch->endpoint, build_embedding_body(docs, batch->endpoint->model,
                                                         batch->endpoint->tei_inputs)});
  batch->call = http_.perform(std::move(calls), [this, key, batch](std::vector<HttpReply> replies) {
    auto lane = lanes_.find(key);
    if (lane != lanes_.end()) lane->second->in_flight--;
    deliver(*batch, replies[0]);
    // A request slot is free: what waits for this endpoint goes now.
    if (lane != lanes_.end() && lane->second->pending) flush(key);
  });
}

void EmbedBatcher::deliver(Batch& batch, HttpReply& reply) {
  const ServiceEndpoint& ep = *batch.endpoint;
  std::optional<Error> failed = reply_error(ep, reply, false);
  Embeddings all;
  if (!failed) {
    auto parsed = parse_embedding_answer(reply.body, batch.documents.size(), parser_);
    if (parsed) {
      all = std::move(*parsed);
    } else {
      failed = answer_error(ep, parsed.error());
    }
  }
  for (auto& w : batch.waiters) {
    if (!w.done) continue;  // cancelled
    waiters_.erase(w.id);
    Done done = std::move(w.done);
    if (failed) {
      done(std::unexpected(*failed));
      continue;
    }
    Embeddings part;
    part.count = w.count;
    part.dimension = all.dimension;
    part.single_precision = all.single_precision;
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
    if (batch->call) {
      http_.cancel(batch->call);
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
