// Providers compute embeddings and rerank scores for the documents a
// statement sends (never blank ones). The built-in lexical provider answers
// at once; the HTTP provider calls a service on an engine loop, in one
// awaited hop. Callers await them on the session's executor.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/cancellation_signal.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "genai/embedding_adapter.h"
#include "genai/endpoint.h"
#include "genai/engine.h"
#include "genai/engine_loop.h"

namespace gp::genai {

// `numbers` gives each document's number in its statement (1-based), for
// messages; empty: their order here.
class Provider {
 public:
  virtual ~Provider() = default;
  virtual asio::awaitable<Result<Embeddings>> embed(std::vector<std::string> documents,
                                                    std::vector<size_t> numbers) = 0;
  virtual asio::awaitable<Result<std::vector<double>>> rerank(std::string query,
                                                              std::vector<std::string> documents,
                                                              std::vector<size_t> numbers) = 0;
};

// Feature hashing and BM25 (genai/lexical.h), computed on the caller's thread.
std::unique_ptr<Provider> make_lexical_provider(int dimensions, GenaiStats& stats);

// A model's HTTP endpoints (each answer's format is recognised from the
// answer itself), through the resilient path of genai/resilient_call.h.
// `batch_size` > 0 splits a statement's documents into requests of that
// many, and `batch_bytes` > 0 into requests of at most that many bytes of
// documents (a longer document goes alone); the requests are sent at once
// and joined in order. `cancel` (when set), used on the caller's thread,
// aborts the transfers: the call then answers 9108.
struct HttpTarget {
  const ModelRuntime* model = nullptr;  // kept alive by `settings`
  std::shared_ptr<const EngineSettings> settings;
  std::shared_ptr<EngineLoop> loop;
  size_t batch_size = 0;
  size_t batch_bytes = 0;
  std::shared_ptr<Cancellation> cancel;
  // Micro-batching of embed statements with at most `batch_max_documents`
  // documents (window 0: off); see genai/batcher.h.
  std::chrono::microseconds batch_window{0};
  size_t batch_max_documents = 1;
  GenaiStats* stats = nullptr;
  // Set to the tokens the service reported using (0: none reported).
  uint64_t* upstream_tokens = nullptr;
};

// Every embedding answer of a model must have its vector size: the
// configured one, else the size of its first good answer (learnt here, in
// the model's shared learnt_dimensions). The 9105 names the model, the
// endpoint that answered, the expected and the received size.
std::optional<Error> check_dimensions(const ModelRuntime& model, const Embeddings& answer,
                                      const ServiceEndpoint& endpoint);

// Where a statement's documents are cut into upstream requests: (offset,
// count) pairs in order, each with at most `max_documents` documents (0: no
// limit) and at most `max_bytes` bytes of text (0: no limit; a document
// longer than that goes alone). Pure.
std::vector<std::pair<size_t, size_t>> split_documents(const std::vector<std::string>& documents,
                                                       size_t max_documents, size_t max_bytes);

// Whether an embed statement of `documents` shares upstream requests.
inline bool uses_micro_batching(const GenaiSettings& g, size_t documents) {
  return g.batch_window_us > 0 && documents <= static_cast<size_t>(g.batch_max_documents) &&
         (g.batch_size <= 0 || documents <= static_cast<size_t>(g.batch_size));
}
std::unique_ptr<Provider> make_http_provider(HttpTarget target);

}  // namespace gp::genai
