// The GenAI engine: runs GENAI: statements. A statement is one coroutine on
// the client's network thread that reads top to bottom (Engine::run): parse,
// the rows of document_from_sql, the provider, the result set. HTTP calls
// run on `genai-threads` engine loops, each driving one libcurl multi handle,
// in one awaited hop; the built-in lexical provider answers in place.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/cancellation_signal.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/endpoint_facts.h"
#include "core/error.h"
#include "core/metrics.h"
#include "genai/endpoint_health.h"
#include "genai/request.h"
#include "mysql/resultset.h"

namespace gp::genai {

// Runs one SELECT for document_from_sql on the client's default hostgroup,
// on the session's executor.
using SqlRunner = std::function<asio::awaitable<Result<mysql::ResultSet>>(std::string sql)>;

// A client that goes away cancels its statement: the session sets
// `requested` and emits a terminal cancellation on `signal`, on its own
// thread. The upstream request is aborted and the statement answers 9108.
struct Cancellation {
  asio::cancellation_signal signal;
  bool requested = false;
};

struct RequestContext {
  std::string username;
  int default_hostgroup = 0;
  SqlRunner run_sql;  // empty when the proxy has no backend for this client
  std::shared_ptr<Cancellation> cancel;
  // For stats_genai_usage: the pattern of the statement that called the
  // SQL functions (Engine::run digests its own statement).
  std::string digest_text;
  // An embedding job's batch, not a client's statement (interactive_in_flight).
  bool background = false;
};

class Engine {
 public:
  Engine(ConfigStore& config, MetricsRegistry& metrics);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Starts the engine loops (genai-threads of the current snapshot) and
  // follows later snapshots: a new thread count or URI applies to new
  // statements; statements in flight finish where they started.
  void start();
  // Fails every statement in flight with "module unavailable" (9106) and
  // joins the loops.
  void stop();

  // Client statements (GENAI: and SQL functions) in progress, embedding
  // jobs' batches excluded: jobs hold back while these fill the endpoints.
  // Thread-safe.
  int64_t interactive_in_flight() const;

  // Empties the embedding cache (FLUSH GENAI CACHE). Thread-safe.
  void flush_cache();

  // Every configured endpoint's state and counters (one row each, by model
  // then URI): what stats_genai_endpoints shows. Thread-safe.
  std::vector<EndpointStatus> endpoint_status() const;

  // What the capability probes of the named models' endpoints found (by
  // model then URI): what runtime_genai_endpoints shows. Thread-safe.
  std::vector<EndpointDiscovery> endpoint_discovery() const;

  // Runs a whole GENAI: statement, awaited on the caller's executor.
  asio::awaitable<Result<mysql::ResultSet>> run(std::string statement, RequestContext context);

  // The values of AI functions in SQL (SPEC-SQL), computed as GENAI:
  // statements are: the same services, cache, micro-batching, genai-max_queue,
  // genai-max_documents and stats. One value per document; std::nullopt for
  // a NULL or blank one, which is never sent. `model`, when given, must name
  // the service's model (an unknown name is 9101). Embeddings come as
  // `formats[i]` says: JSON array text or float32 bytes.
  asio::awaitable<Result<std::vector<std::optional<std::string>>>> embed_values(
      Documents documents, std::vector<EmbedFormat> formats, std::optional<std::string> model,
      RequestContext context);
  asio::awaitable<Result<std::vector<std::optional<double>>>> rerank_values(
      std::string query, Documents documents, std::optional<std::string> model,
      RequestContext context);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gp::genai
