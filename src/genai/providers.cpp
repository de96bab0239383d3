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
        const ServiceEndpoint& ep = t_.model->endpoints.front();
        if (auto e = degenerate(*batched, 0, batched->count, ep)) co_return std::unexpected(*e);
        if (t_.upstream_tokens) *t_.upstream_tokens = batched->upstream_tokens;
      }
      co_return batched;
    }
    const ServiceEndpoint& first = t_.model->endpoints.front();
    auto batches = split(documents);
    std::vector<std::string> bodies;
    std::span<std::string> docs(documents);
    for (auto [offset, count] : batches) {
      bodies.push_back(
          build_embedding_body(docs.subspan(offset, count), first.model, first.tei_inputs));
    }
    auto outcomes = co_await send(std::move(bodies));
    Embeddings all;
    uint64_t tokens = 0;
    for (size_t i = 0; i < outcomes.size(); ++i) {
      auto [offset, count] = batches[i];
      if (auto e = failure(outcomes[i], documents, offset, count)) co_return std::unexpected(*e);
      const ServiceEndpoint& ep = *outcomes[i].endpoint;
      auto parsed = parse_embedding_answer(outcomes[i].reply.body, count, parser());
      if (!parsed) co_return invalid(outcomes[i], answer_error(ep, parsed.error()));
      if (auto e = degenerate(*parsed, offset, count, ep)) co_return invalid(outcomes[i], *e);
      if (auto e = wrong_dimensions(*parsed, ep)) co_return invalid(outcomes[i], *e);
      tokens += parsed->upstream_tokens;
      auto merged = merge_embeddings(all, std::move(*parsed), offset, documents.size());
      if (!merged) co_return invalid(outcomes[i], answer_error(ep, merged.error()));
    }
    all.upstream_tokens = tokens;
    if (t_.upstream_tokens) *t_.upstream_tokens = tokens;
    co_return all;
  }

  asio::awaitable<Result<std::vector<double>>> rerank(std::string query,
                                                      std::vector<std::string> documents,
                                                      std::vector<size_t> numbers) override {
    numbers_ = std::move(numbers);
    const ServiceEndpoint& first = t_.model->endpoints.front();
    auto batches = split(documents);
    std::vector<std::string> bodies;
    std::span<std::string> docs(documents);
    for (auto [offset, count] : batches) {
      bodies.push_back(build_rerank_body(query, docs.subspan(offset, count), first.model));
    }
    auto outcomes = co_await send(std::move(bodies));
    std::vector<double> scores(documents.size(), 0.0);
    uint64_t tokens = 0;
    for (size_t i = 0; i < outcomes.size(); ++i) {
      auto [offset, count] = batches[i];
      if (auto e = failure(outcomes[i], documents, offset, count)) co_return std::unexpected(*e);
      uint64_t used = 0;
      auto parsed = parse_rerank_answer(outcomes[i].reply.body, count, parser(), &used);
      if (!parsed)
        co_return invalid(outcomes[i], answer_error(*outcomes[i].endpoint, parsed.error()));
      tokens += used;
      // Each request's indexes count from its own first document.
      std::copy(parsed->begin(), parsed->end(),
                scores.begin() + static_cast<std::ptrdiff_t>(offset));
    }
    if (t_.upstream_tokens) *t_.upstream_tokens = tokens;
    co_return scores;
  }

 private:
  std::vector<std::pair<size_t, size_t>> split(const std::vector<std::string>& documents) const {
    return split_documents(documents, t_.batch_size, t_.batch_bytes);
  }

  // An answer that came back good but is unusable counts against the
  // endpoint that gave it.
  std::unexpected<Error> invalid(const CallOutcome& out, Error e) const {
    if (out.endpoint_index < t_.model->health.size()) {
      t_.model->health[out.endpoint_index]->invalid_answer("invalid answer");
    }
    return std::unexpected(std::move(e));
  }

  std::optional<Error> wrong_dimensions(const Embeddings& e, const ServiceEndpoint& ep) const {
    return check_dimensions(*t_.model, e, ep);
  }

  asio::awaitable<std::vector<CallOutcome>> send(std::vector<std::string> bodies) {
    ResilientTarget target{t_.model, t_.settings, t_.loop, t_.cancel, t_.stats};
    co_return co_await send_resilient(target, std::move(bodies), cancelled_);
  }

  // A micro-batched embed (genai/batcher.h): the batcher sends for every
  // statement at once, through the same resilient path.
  asio::awaitable<Result<Embeddings>> embed_batched(std::vector<std::string>& documents) {
    BatchRequest request{t_.settings, t_.model, documents, t_.batch_window, t_.batch_max_documents};
    Result<Embeddings> result;
    if (!t_.cancel) {
      result = co_await t_.loop->async_embed(std::move(request), asio::use_awaitable);
    } else {
      result = co_await t_.loop->async_embed(
          std::move(request),
          asio::bind_cancellation_slot(t_.cancel->signal.slot(), asio::use_awaitable));
    }
    co_return result;
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

std::optional<Error> check_dimensions(const ModelRuntime& m, const Embeddings& e,
                                      const ServiceEndpoint& ep) {
  if (e.count == 0) return std::nullopt;
  auto got = static_cast<int64_t>(e.dimension);
  int64_t expected = m.expected_dimensions();
  if (expected == 0 && m.learnt_dimensions) {
    if (m.learnt_dimensions->compare_exchange_strong(expected, got)) return std::nullopt;
  }
  if (expected == got) return std::nullopt;
  std::string source = m.dimensions > 0
                           ? "genai_models.dimensions"
                           : "learnt from its first answer; LOAD GENAI MODELS TO RUNTIME with a "
                             "changed configuration forgets it";
  return Error::make(errc::kGenaiInvalidAnswer,
                     "GENAI: invalid answer from " + ep.service + " service " + ep.display_uri +
                         ": " + EngineSettings::describe(m) + " expects vectors of " +
                         std::to_string(expected) + " dimensions (" + source +
                         "), the answer has " + std::to_string(got));
}

std::vector<std::pair<size_t, size_t>> split_documents(const std::vector<std::string>& documents,
                                                       size_t max_documents, size_t max_bytes) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t offset = 0;
  size_t count = 0;
  size_t bytes = 0;
  for (size_t i = 0; i < documents.size(); ++i) {
    size_t size = documents[i].size();
    bool too_many = max_documents > 0 && count >= max_documents;
    bool too_big = max_bytes > 0 && count > 0 && bytes + size > max_bytes;
    if (too_many || too_big) {
      out.emplace_back(offset, count);
      offset = i;
      count = 0;
      bytes = 0;
    }
    ++count;
    bytes += size;
  }
  if (count > 0) out.emplace_back(offset, count);
  return out;
}

std::unique_ptr<Provider> make_lexical_provider(int dimensions, GenaiStats& stats) {
  return std::make_unique<LexicalProvider>(dimensions, stats);
}

std::unique_ptr<Provider> make_http_provider(HttpTarget target) {
  return std::make_unique<HttpProvider>(std::move(target));
}

}  // namespace gp::genai
