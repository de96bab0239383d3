// The lexical and HTTP providers.
#include <simdjson.h>

#include <algorithm>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/use_awaitable.hpp>
#include <span>

#include "core/coroutine_warnings.h"
#include "genai/errors.h"
#include "genai/lexical.h"
#include "genai/provider.h"
#include "genai/rerank_adapter.h"
#include "genai/service_reply.h"

namespace gp::genai {
namespace {

class LexicalProvider final : public Provider {
 public:
  LexicalProvider(int dimensions, GenaiStats& stats) : dimensions_(dimensions), stats_(stats) {}

  asio::awaitable<Result<Embeddings>> embed(std::vector<std::string> documents) override {
    stats_.lexical_requests.fetch_add(1, std::memory_order_relaxed);
    co_return lexical::embed_all(documents, dimensions_);
  }

  asio::awaitable<Result<std::vector<double>>> rerank(std::string query,
                                                      std::vector<std::string> documents) override {
    stats_.lexical_requests.fetch_add(1, std::memory_order_relaxed);
    co_return lexical::bm25(query, documents);
  }

 private:
  int dimensions_;
  GenaiStats& stats_;
};

// Places one batch's vectors at its offset; every batch must agree on the
// dimension.
Result<void> merge_embeddings(Embeddings& all, Embeddings&& part, size_t offset, size_t total) {
  if (offset == 0 && part.count == total) {
    all = std::move(part);
    return {};
  }
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

class HttpProvider final : public Provider {
 public:
  explicit HttpProvider(HttpTarget target) : t_(std::move(target)) {}

  asio::awaitable<Result<Embeddings>> embed(std::vector<std::string> documents) override {
    const ServiceEndpoint& ep = *t_.endpoint;
    if (t_.batch_window.count() > 0 && documents.size() <= t_.batch_max_documents) {
      BatchRequest request{t_.settings, &ep, std::move(documents), t_.batch_window,
                           t_.batch_max_documents};
      if (!t_.cancel)
        co_return co_await t_.loop->async_embed(std::move(request), asio::use_awaitable);
      co_return co_await t_.loop->async_embed(
          std::move(request),
          asio::bind_cancellation_slot(t_.cancel->signal.slot(), asio::use_awaitable));
    }
    auto batches = split(documents.size());
    std::vector<HttpCall> calls;
    std::span<std::string> docs(documents);
    for (auto [offset, count] : batches) {
      calls.push_back(
          {&ep, build_embedding_body(docs.subspan(offset, count), ep.model, ep.tei_inputs)});
    }
    auto replies = co_await perform(std::move(calls));
    Embeddings all;
    for (size_t i = 0; i < replies.size(); ++i) {
      if (auto e = reply_error(ep, replies[i], cancelled_)) co_return std::unexpected(*e);
      auto [offset, count] = batches[i];
      auto parsed = parse_embedding_answer(replies[i].body, count, parser());
      if (!parsed) co_return std::unexpected(answer_error(ep, parsed.error()));
      auto merged = merge_embeddings(all, std::move(*parsed), offset, documents.size());
      if (!merged) co_return std::unexpected(answer_error(ep, merged.error()));
    }
    co_return all;
  }

  asio::awaitable<Result<std::vector<double>>> rerank(std::string query,
                                                      std::vector<std::string> documents) override {
    const ServiceEndpoint& ep = *t_.endpoint;
    auto batches = split(documents.size());
    std::vector<HttpCall> calls;
    std::span<std::string> docs(documents);
    for (auto [offset, count] : batches) {
      calls.push_back({&ep, build_rerank_body(query, docs.subspan(offset, count), ep.model)});
    }
    auto replies = co_await perform(std::move(calls));
    std::vector<double> scores(documents.size(), 0.0);
    for (size_t i = 0; i < replies.size(); ++i) {
      if (auto e = reply_error(ep, replies[i], cancelled_)) co_return std::unexpected(*e);
      auto [offset, count] = batches[i];
      auto parsed = parse_rerank_answer(replies[i].body, count, parser());
      if (!parsed) co_return std::unexpected(answer_error(ep, parsed.error()));
      std::copy(parsed->begin(), parsed->end(),
                scores.begin() + static_cast<std::ptrdiff_t>(offset));
    }
    co_return scores;
  }

 private:
  std::vector<std::pair<size_t, size_t>> split(size_t total) const {
    size_t batch = t_.batch_size > 0 ? t_.batch_size : total;
    std::vector<std::pair<size_t, size_t>> out;
    for (size_t offset = 0; offset < total; offset += batch) {
      out.emplace_back(offset, std::min(batch, total - offset));
    }
    return out;
  }

  asio::awaitable<std::vector<HttpReply>> perform(std::vector<HttpCall> calls) {
    if (!t_.cancel)
      co_return co_await t_.loop->async_perform(std::move(calls), asio::use_awaitable);
    auto replies = co_await t_.loop->async_perform(
        std::move(calls),
        asio::bind_cancellation_slot(t_.cancel->signal.slot(), asio::use_awaitable));
    cancelled_ = t_.cancel->requested;
    co_return replies;
  }

  // One parser per network thread keeps its buffers warm.
  static simdjson::dom::parser& parser() {
    thread_local simdjson::dom::parser p;
    return p;
  }

  HttpTarget t_;
  bool cancelled_ = false;
};

}  // namespace

std::unique_ptr<Provider> make_lexical_provider(int dimensions, GenaiStats& stats) {
  return std::make_unique<LexicalProvider>(dimensions, stats);
}

std::unique_ptr<Provider> make_http_provider(HttpTarget target) {
  return std::make_unique<HttpProvider>(std::move(target));
}

}  // namespace gp::genai
