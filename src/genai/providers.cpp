// The lexical and HTTP providers.
#include <simdjson.h>

#include <algorithm>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/use_awaitable.hpp>
#include <random>
#include <span>

#include "core/coroutine_warnings.h"
#include "genai/errors.h"
#include "genai/lexical.h"
#include "genai/provider.h"
#include "genai/rerank_adapter.h"
#include "genai/resilient_call.h"
#include "genai/service_reply.h"

namespace gp::genai {
namespace {

class LexicalProvider final : public Provider {
 public:
  LexicalProvider(int dimensions, GenaiStats& stats) : dimensions_(dimensions), stats_(stats) {}

  asio::awaitable<Result<Embeddings>> embed(std::vector<std::string> documents,
                                            std::vector<size_t>) override {
    stats_.lexical_requests.fetch_add(1, std::memory_order_relaxed);
    co_return lexical::embed_all(documents, dimensions_);
  }

  asio::awaitable<Result<std::vector<double>>> rerank(std::string query,
                                                      std::vector<std::string> documents,
                                                      std::vector<size_t>) override {
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

// A vector of zeros says nothing about its text: a llama-server serving a
// rerank model answers embeddings so.
bool is_degenerate(std::span<const double> row) {
  return std::all_of(row.begin(), row.end(), [](double v) { return v == 0.0; });
}

class HttpProvider final : public Provider {
 public:
  explicit HttpProvider(HttpTarget target) : t_(std::move(target)) {}

  asio::awaitable<Result<Embeddings>> embed(std::vector<std::string> documents,
                                            std::vector<size_t> numbers) override {
    numbers_ = std::move(numbers);
    if (t_.batch_window.count() > 0 && documents.size() <= t_.batch_max_documents) {
      auto batched = co_await embed_batched(documents);
      if (batched) {
        if (auto e = degenerate(*batched, 0, batched->count, t_.model->endpoints.front()))
          co_return std::unexpected(*e);
      }
      co_return batched;
    }
    const ServiceEndpoint& first = t_.model->endpoints.front();
    auto batches = split(documents.size());
    std::vector<std::string> bodies;
    std::span<std::string> docs(documents);
    for (auto [offset, count] : batches) {
      bodies.push_back(
          build_embedding_body(docs.subspan(offset, count), first.model, first.tei_inputs));
    }
    auto outcomes = co_await send(std::move(bodies));
    Embeddings all;
    for (size_t i = 0; i < outcomes.size(); ++i) {
      auto [offset, count] = batches[i];
      if (auto e = failure(outcomes[i], documents, offset, count)) co_return std::unexpected(*e);
      const ServiceEndpoint& ep = *outcomes[i].endpoint;
      auto parsed = parse_embedding_answer(outcomes[i].reply.body, count, parser());
      if (!parsed) co_return std::unexpected(answer_error(ep, parsed.error()));
      if (auto e = degenerate(*parsed, offset, count, ep)) co_return std::unexpected(*e);
      auto merged = merge_embeddings(all, std::move(*parsed), offset, documents.size());
      if (!merged) co_return std::unexpected(answer_error(ep, merged.error()));
    }
    co_return all;
  }

  asio::awaitable<Result<std::vector<double>>> rerank(std::string query,
                                                      std::vector<std::string> documents,
                                                      std::vector<size_t> numbers) override {
    numbers_ = std::move(numbers);
    const ServiceEndpoint& first = t_.model->endpoints.front();
    auto batches = split(documents.size());
    std::vector<std::string> bodies;
    std::span<std::string> docs(documents);
    for (auto [offset, count] : batches) {
      bodies.push_back(build_rerank_body(query, docs.subspan(offset, count), first.model));
    }
    auto outcomes = co_await send(std::move(bodies));
    std::vector<double> scores(documents.size(), 0.0);
    for (size_t i = 0; i < outcomes.size(); ++i) {
      auto [offset, count] = batches[i];
      if (auto e = failure(outcomes[i], documents, offset, count)) co_return std::unexpected(*e);
      auto parsed = parse_rerank_answer(outcomes[i].reply.body, count, parser());
      if (!parsed) co_return std::unexpected(answer_error(*outcomes[i].endpoint, parsed.error()));
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

  asio::awaitable<std::vector<CallOutcome>> send(std::vector<std::string> bodies) {
    ResilientTarget target{t_.model, t_.settings, t_.loop, t_.cancel, t_.stats};
    co_return co_await send_resilient(target, std::move(bodies), cancelled_);
  }

  // A micro-batched embed (genai/batcher.h): the batcher sends for every
  // statement at once, so a retry is this statement's own, to the next
  // endpoint, on a transport failure or timeout.
  asio::awaitable<Result<Embeddings>> embed_batched(std::vector<std::string>& documents) {
    const ModelRuntime& model = *t_.model;
    const GenaiSettings& genai = t_.settings->genai();
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(model.endpoints.front().timeout_ms);
    std::vector<bool> avoid(model.endpoints.size(), false);
    thread_local std::mt19937_64 rng{std::random_device{}()};
    for (int attempt = 0;; ++attempt) {
      bool probe = false;
      auto chosen = choose_endpoint(model, avoid, true, probe, rng);
      if (!chosen) co_return std::unexpected(cooling_down_error(model, genai));
      EndpointHealth& health = *model.health[*chosen];
      health.started(attempt > 0, false);
      if (attempt > 0 && t_.stats)
        t_.stats->upstream_retries.fetch_add(1, std::memory_order_relaxed);
      BatchRequest request{t_.settings, &model.endpoints[*chosen], documents, t_.batch_window,
                           t_.batch_max_documents};
      Result<Embeddings> result;
      if (!t_.cancel) {
        result = co_await t_.loop->async_embed(std::move(request), asio::use_awaitable);
      } else {
        result = co_await t_.loop->async_embed(
            std::move(request),
            asio::bind_cancellation_slot(t_.cancel->signal.slot(), asio::use_awaitable));
      }
      if (result) {
        health.succeeded(probe);
        co_return result;
      }
      uint16_t code = result.error().code;
      bool unwell = code == errc::kGenaiServiceUnreachable || code == errc::kGenaiServiceTimeout;
      if (code == errc::kGenaiCancelled || code == errc::kGenaiUnavailable) {
        health.abandoned(probe);
      } else if (unwell) {
        health.failed(probe, genai.endpoint_failure_threshold,
                      std::chrono::milliseconds(genai.endpoint_cooldown_ms),
                      code == errc::kGenaiServiceTimeout ? "timeout" : "unreachable");
      } else {
        health.refused(probe, "error " + std::to_string(code));
      }
      auto left = deadline - std::chrono::steady_clock::now();
      if (!unwell || attempt >= model.max_retries || left <= std::chrono::milliseconds(0))
        co_return result;
      std::fill(avoid.begin(), avoid.end(), false);
      avoid[*chosen] = true;
    }
  }

  // The statement's number of a document of this request.
  std::string document_name(const std::vector<std::string>& documents, size_t offset,
                            size_t count) const {
    auto number = [&](size_t i) { return i < numbers_.size() ? numbers_[i] : i + 1; };
    if (count == 1) return "document " + std::to_string(number(offset));
    size_t longest = offset;
    for (size_t i = offset; i < offset + count; ++i) {
      if (documents[i].size() > documents[longest].size()) longest = i;
    }
    return "document " + std::to_string(number(longest)) + " (the longest of the " +
           std::to_string(count) + " in that request)";
  }

  std::optional<Error> failure(const CallOutcome& out, const std::vector<std::string>& documents,
                               size_t offset, size_t count) const {
    if (cancelled_) return cancelled_error();
    if (out.error) return out.error;
    if (auto too_long = input_too_long(out.reply)) {
      return input_too_long_error(*out.endpoint, *too_long,
                                  document_name(documents, offset, count));
    }
    auto e = reply_error(*out.endpoint, out.reply, cancelled_);
    if (e && out.attempts > 1)
      e->message += " (gave up after " + std::to_string(out.attempts) + " attempts)";
    return e;
  }

  std::optional<Error> degenerate(const Embeddings& e, size_t offset, size_t count,
                                  const ServiceEndpoint& ep) const {
    for (size_t i = 0; i < count && i < e.count; ++i) {
      if (!is_degenerate(e.row(i))) continue;
      size_t at = offset + i;
      size_t number = at < numbers_.size() ? numbers_[at] : at + 1;
      return answer_error(ep, invalid_answer("the vector of document " + std::to_string(number) +
                                             " is all zeros (is the service serving a rerank "
                                             "model rather than an embedding model?)"));
    }
    return std::nullopt;
  }

  // One parser per network thread keeps its buffers warm.
  static simdjson::dom::parser& parser() {
    thread_local simdjson::dom::parser p;
    return p;
  }

  HttpTarget t_;
  std::vector<size_t> numbers_;
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
