// The resilient service path of one statement's upstream requests: the
// choice of endpoint (lowest priority first, weighted among equals, cooling
// endpoints skipped), retries with exponential backoff and jitter that honour
// Retry-After and never pass the statement's timeout, failover to another
// endpoint, hedging (genai/attempt_runner.h) and the endpoints' shared health
// (genai/endpoint_health.h). Awaited on the session's executor.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "genai/endpoint.h"
#include "genai/engine.h"
#include "genai/engine_loop.h"
#include "genai/stats.h"

namespace gp::genai {

// Connection failures, timeouts of an attempt, HTTP 408, 429, 500, 502, 503,
// 504: worth another attempt, and a sign that the endpoint is unwell.
bool is_retryable(const HttpReply& reply);

// llama-server's 503 "Loading model": the endpoint is coming up. A statement
// that meets it waits and tries again within its own timeout, without using
// up max_retries, and the endpoint is not blamed (its cooldown is not brought
// nearer).
bool is_loading(const HttpReply& reply);

// The wait before attempt number `wait` (0: the first) at a loading model:
// the backoff, at least 50 ms at first, never more than a second.
std::chrono::milliseconds loading_delay(int wait, int base_ms, double unit);

// The wait before retry number `retry` (0: the first): base * 2^retry, of
// which a random half (`unit` in [0, 1)) is taken off so that statements
// failed together do not come back together.
std::chrono::milliseconds backoff_delay(int retry, int base_ms, double unit);

// The class of a failed reply, for stats_genai_endpoints.
ErrorClass classify(const HttpReply& reply);

// The endpoint of `model` to send to: the lowest priority with an endpoint
// that may take a request, weighted among equals; endpoints in `avoid` only
// when no other may. A cooled-down endpoint is chosen only if its probe is
// claimed (`probe` is then set). An endpoint at its max_concurrency is
// skipped; `full` says whether one was. std::nullopt: no endpoint may take it
// now (every one cooling down, or full).
std::optional<size_t> choose_endpoint(const ModelRuntime& model, const std::vector<bool>& avoid,
                                      bool allow_probe, bool& probe, std::mt19937_64& rng,
                                      bool* full = nullptr);

// What became of one request.
struct CallOutcome {
  const ServiceEndpoint* endpoint = nullptr;  // of `reply`
  size_t endpoint_index = 0;                  // in the model's endpoints
  HttpReply reply;
  std::optional<Error> error;  // instead of `reply`: every endpoint cooling down, cancelled
  int attempts = 0;
};

struct ResilientTarget {
  const ModelRuntime* model = nullptr;  // kept alive by `settings`
  std::shared_ptr<const EngineSettings> settings;
  std::shared_ptr<EngineLoop> loop;
  std::shared_ptr<Cancellation> cancel;
  GenaiStats* stats = nullptr;
};

// Sends each body (one request of the statement) until it has a good
// answer, a failure not worth retrying, or no retry or time left; the
// requests run concurrently. `cancelled` says whether the client went away.
asio::awaitable<std::vector<CallOutcome>> send_resilient(const ResilientTarget& target,
                                                         std::vector<std::string> bodies,
                                                         bool& cancelled);

// The 9102 of a model whose endpoints are all cooling down.
Error cooling_down_error(const ModelRuntime& model, const GenaiSettings& genai);

// The 9103 of a statement whose time ran out while every endpoint of its
// model that could take the request was at its max_concurrency.
Error concurrency_timeout_error(const ModelRuntime& model, long waited_ms);

}  // namespace gp::genai
