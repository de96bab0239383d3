#include "genai/resilient_call.h"

#include <algorithm>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "core/coroutine_warnings.h"
#include "genai/discovery.h"
#include "genai/errors.h"
#include "genai/service_reply.h"

namespace gp::genai {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::mt19937_64& thread_rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

long remaining_ms(Clock::time_point deadline) {
  return static_cast<long>(
      std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count());
}

// libcurl's static text rather than reply.error, which names the host and
// port; the service's body stays out too (it may echo the documents).
std::string error_class(const HttpReply& reply) {
  if (reply.code != CURLE_OK) return std::string("transport: ") + curl_easy_strerror(reply.code);
  if (reply.status >= 200 && reply.status < 300) return "invalid answer";
  return "HTTP " + std::to_string(reply.status);
}

// What an attempt's reply says about its endpoint.
void record(EndpointHealth& health, const HttpReply& reply, bool abandoned, bool probe,
            const GenaiSettings& genai) {
  if (abandoned || reply.code == CURLE_ABORTED_BY_CALLBACK || is_loading(reply)) {
    // A model still loading is an endpoint on its way up: no verdict.
    health.abandoned(probe);
    return;
  }
  health.observe_latency(milliseconds(reply.elapsed_ms));
  if (is_good_reply(reply)) {
    health.succeeded(probe);
  } else if (is_retryable(reply) && !input_too_long(reply)) {
    health.failed(probe, genai.endpoint_failure_threshold, milliseconds(genai.endpoint_cooldown_ms),
                  classify(reply), error_class(reply));
  } else {
    health.refused(probe, classify(reply), error_class(reply));
  }
}

// How long a statement waiting for a free slot sleeps before it looks again:
// short at first, so that a slot freed at once is taken at once.
milliseconds slot_poll_delay(int round) {
  return milliseconds(std::min(20, 1 << std::min(round, 5)));
}

}  // namespace

bool is_loading(const HttpReply& reply) {
  return reply.code == CURLE_OK && is_loading_answer(reply.status, reply.body);
}

milliseconds loading_delay(int wait, int base_ms, double unit) {
  // Short waits, so that a statement notices the model as soon as it is up;
  // never none, so that it does not hammer a server that is busy loading.
  auto full = std::min(milliseconds(1000), backoff_delay(wait, std::max(base_ms, 50), 0.0));
  return milliseconds(static_cast<int64_t>(static_cast<double>(full.count()) * (1.0 - unit / 2.0)));
}

ErrorClass classify(const HttpReply& r) {
  if (r.code == CURLE_OPERATION_TIMEDOUT) return ErrorClass::kTimeout;
  if (r.code != CURLE_OK) return ErrorClass::kTransport;
  if (r.status == 429) return ErrorClass::kHttp429;
  if (r.status >= 500) return ErrorClass::kHttp5xx;
  if (r.status >= 400) return ErrorClass::kHttp4xx;
  return ErrorClass::kInvalidAnswer;
}

Error concurrency_timeout_error(const ModelRuntime& model, long waited_ms) {
  return Error::make(errc::kGenaiServiceTimeout,
                     "GENAI: timed out after " + std::to_string(waited_ms) +
                         " ms waiting for a free slot: every endpoint of " +
                         EngineSettings::describe(model) +
                         " that could take the request had max_concurrency attempts in flight "
                         "(genai_endpoints.max_concurrency; the statement's timeout is " +
                         model.endpoints.front().timeout_variable + "=" +
                         std::to_string(model.endpoints.front().timeout_ms) + ")");
}

bool is_retryable(const HttpReply& r) {
  switch (r.code) {
    case CURLE_OK:
      break;
    case CURLE_ABORTED_BY_CALLBACK:
      return false;
    default:
      // Transport: refused, reset, DNS, TLS, timeouts. An answer too large
      // would be as large again.
      return !r.too_large;
  }
  switch (r.status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

milliseconds backoff_delay(int retry, int base_ms, double unit) {
  if (base_ms <= 0) return milliseconds(0);
  double full =
      static_cast<double>(base_ms) * static_cast<double>(uint64_t{1} << std::min(retry, 20));
  full = std::min(full, 60000.0);
  return milliseconds(static_cast<int64_t>(full * (1.0 - unit / 2.0)));
}

std::optional<size_t> choose_endpoint(const ModelRuntime& model, const std::vector<bool>& avoid,
                                      bool allow_probe, bool& probe, std::mt19937_64& rng,
                                      bool* full) {
  auto now = Clock::now();
  probe = false;
  if (full) *full = false;
  auto room = [&](size_t k) {
    int limit = k < model.max_concurrency.size() ? model.max_concurrency[k] : 0;
    if (model.health[k]->has_room(limit)) return true;
    if (full) *full = true;
    return false;
  };
  size_t n = model.endpoints.size();
  for (int pass = 0; pass < 2; ++pass) {
    // Lowest priority first: the endpoints are sorted by it.
    size_t i = 0;
    while (i < n) {
      size_t end = i;
      while (end < n && model.priorities[end] == model.priorities[i]) ++end;
      std::vector<size_t> ready;
      std::vector<size_t> probes;
      int64_t total = 0;
      for (size_t k = i; k < end; ++k) {
        if (pass == 0 && k < avoid.size() && avoid[k]) continue;
        auto a = model.health[k]->availability(now);
        if (a != EndpointAvailability::kCooling && !room(k)) continue;
        if (a == EndpointAvailability::kReady) {
          ready.push_back(k);
          total += std::max(1, model.weights[k]);
        } else if (a == EndpointAvailability::kProbe && allow_probe) {
          probes.push_back(k);
        }
      }
      // A cooled-down endpoint gets its probe before ready ones get more:
      // otherwise a healthy peer would keep it cooling for ever.
      for (size_t k : probes) {
        if (model.health[k]->try_take_probe(now)) {
          probe = true;
          return k;
        }
      }
      if (!ready.empty()) {
        int64_t pick = std::uniform_int_distribution<int64_t>(0, total - 1)(rng);
        for (size_t k : ready) {
          pick -= std::max(1, model.weights[k]);
          if (pick < 0) return k;
        }
        return ready.back();
      }
      i = end;
    }
  }
  return std::nullopt;
}

Error cooling_down_error(const ModelRuntime& model, const GenaiSettings& genai) {
  auto now = Clock::now();
  int64_t next_ms = -1;
  for (const auto& h : model.health) {
    auto left = std::chrono::duration_cast<milliseconds>(h->cooling_until() - now).count();
    next_ms = next_ms < 0 ? left : std::min(next_ms, left);
  }
  std::string service = model.embed ? "embedding" : "rerank";
  return Error::make(
      errc::kGenaiServiceUnreachable,
      "GENAI: every " + service + " endpoint of " + EngineSettings::describe(model) +
          " is cooling down after " + std::to_string(genai.endpoint_failure_threshold) +
          " consecutive failures (genai-endpoint_failure_threshold); the next probe is due in " +
          std::to_string(std::max<int64_t>(0, next_ms)) +
          " ms (genai-endpoint_cooldown_ms=" + std::to_string(genai.endpoint_cooldown_ms) + ")");
}

asio::awaitable<std::vector<CallOutcome>> send_resilient(const ResilientTarget& t,
                                                         std::vector<std::string> bodies,
                                                         bool& cancelled) {
  const ModelRuntime& model = *t.model;
  const GenaiSettings& genai = t.settings->genai();
  auto& rng = thread_rng();
  auto deadline = Clock::now() + milliseconds(model.endpoints.front().timeout_ms);
  size_t n = bodies.size();
  std::vector<CallOutcome> outcomes(n);
  std::vector<std::vector<bool>> avoid(n, std::vector<bool>(model.endpoints.size(), false));
  std::vector<size_t> pending(n);
  for (size_t i = 0; i < n; ++i) pending[i] = i;
  // Of each request's attempts, those that met a model still loading: they
  // do not count against max_retries.
  std::vector<int> loading_waits(n, 0);
  cancelled = false;
  auto limit_of = [&](size_t k) {
    return k < model.max_concurrency.size() ? model.max_concurrency[k] : 0;
  };
  auto started_at = Clock::now();
  int slot_rounds = 0;

  while (!pending.empty()) {
    struct Sent {
      size_t request;
      size_t primary;
      bool probe;
      std::optional<size_t> hedge;
    };
    std::vector<Sent> sent;
    std::vector<Attempt> attempts;
    // Requests that found every endpoint that could take them full: they
    // wait for a slot (next round, or after a short sleep).
    std::vector<size_t> waiting;
    long budget = std::max(1L, remaining_ms(deadline));
    for (size_t i : pending) {
      CallOutcome& out = outcomes[i];
      bool probe = false;
      bool full = false;
      auto primary = choose_endpoint(model, avoid[i], true, probe, rng, &full);
      if (primary &&
          !model.health[*primary]->try_start(limit_of(*primary), out.attempts > 0, false)) {
        // Another statement took the last slot since the choice.
        if (probe) model.health[*primary]->release_probe();
        primary.reset();
        full = true;
      }
      if (!primary) {
        if (full) {
          waiting.push_back(i);
          continue;
        }
        // A retry keeps the failure it had rather than the cooldown it caused.
        if (out.attempts == 0) out.error = cooling_down_error(model, genai);
        continue;
      }
      std::optional<size_t> hedge;
      if (model.hedge_after_ms > 0 && model.endpoints.size() > 1 && model.hedge_after_ms < budget) {
        // A hedge only goes to a ready endpoint: a probe it claimed might
        // never be sent.
        std::vector<bool> not_primary(model.endpoints.size(), false);
        not_primary[*primary] = true;
        bool hedge_probe = false;
        auto other = choose_endpoint(model, not_primary, false, hedge_probe, rng);
        if (other && *other != *primary) hedge = other;
      }
      Attempt a;
      a.primary = {&model.endpoints[*primary], bodies[i], budget};
      if (hedge) {
        a.hedge = HttpCall{&model.endpoints[*hedge], bodies[i], budget - model.hedge_after_ms};
        a.hedge_after = milliseconds(model.hedge_after_ms);
        a.on_hedge = [health = model.health[*hedge], limit = limit_of(*hedge), stats = t.stats] {
          if (!health->try_start(limit, false, true)) return false;
          if (stats) stats->upstream_hedges.fetch_add(1, std::memory_order_relaxed);
          return true;
        };
      }
      if (out.attempts > 0 && t.stats)
        t.stats->upstream_retries.fetch_add(1, std::memory_order_relaxed);
      out.attempts++;
      attempts.push_back(std::move(a));
      sent.push_back({i, *primary, probe, hedge});
    }
    if (attempts.empty()) {
      if (waiting.empty()) break;
      // Nothing of this statement in flight: sleep a little and look for a
      // free slot again, within the statement's timeout.
      if (remaining_ms(deadline) <= 0) {
        auto waited = std::chrono::duration_cast<milliseconds>(Clock::now() - started_at).count();
        for (size_t i : waiting) {
          if (outcomes[i].attempts == 0) {
            outcomes[i].error = concurrency_timeout_error(model, static_cast<long>(waited));
          }
        }
        break;
      }
      milliseconds nap = std::min(slot_poll_delay(slot_rounds++),
                                  milliseconds(std::max(1L, remaining_ms(deadline))));
      asio::steady_timer timer(co_await asio::this_coro::executor, nap);
      std::error_code ec;
      if (t.cancel) {
        co_await timer.async_wait(asio::bind_cancellation_slot(
            t.cancel->signal.slot(), asio::redirect_error(asio::use_awaitable, ec)));
        if (t.cancel->requested) {
          cancelled = true;
          break;
        }
      } else {
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      pending = std::move(waiting);
      continue;
    }
    slot_rounds = 0;

    std::vector<AttemptResult> results;
    if (t.cancel) {
      results = co_await t.loop->async_attempts(
          std::move(attempts),
          asio::bind_cancellation_slot(t.cancel->signal.slot(), asio::use_awaitable));
      cancelled = t.cancel->requested;
    } else {
      results = co_await t.loop->async_attempts(std::move(attempts), asio::use_awaitable);
    }

    std::vector<size_t> again;
    milliseconds wait{0};
    for (size_t k = 0; k < sent.size(); ++k) {
      const Sent& s = sent[k];
      AttemptResult& r = results[k];
      record(*model.health[s.primary], *r.replies[0], r.abandoned[0], s.probe, genai);
      if (s.hedge && r.hedged()) {
        record(*model.health[*s.hedge], *r.replies[1], r.abandoned[1], false, genai);
      }
      CallOutcome& out = outcomes[s.request];
      size_t used = r.winner == 1 && s.hedge ? *s.hedge : s.primary;
      out.endpoint = &model.endpoints[used];
      out.endpoint_index = used;
      out.reply = std::move(r.reply());
      out.error.reset();
      bool loading = is_loading(out.reply);
      if (loading) loading_waits[s.request]++;
      int counted = out.attempts - loading_waits[s.request];
      // An input too long for the model is as long at every attempt.
      if (cancelled || !is_retryable(out.reply) || counted > model.max_retries ||
          input_too_long(out.reply)) {
        continue;
      }
      std::fill(avoid[s.request].begin(), avoid[s.request].end(), false);
      avoid[s.request][s.primary] = true;
      if (s.hedge && r.hedged()) avoid[s.request][*s.hedge] = true;
      double unit = std::uniform_real_distribution<double>(0, 1)(rng);
      milliseconds delay =
          loading ? loading_delay(loading_waits[s.request] - 1, genai.retry_backoff_ms, unit)
                  : backoff_delay(std::max(0, counted - 1), genai.retry_backoff_ms, unit);
      // Retry-After speaks for its own endpoint: it holds back the retry
      // only when no other endpoint can take it.
      bool alone =
          std::all_of(avoid[s.request].begin(), avoid[s.request].end(), [](bool b) { return b; });
      if (alone) delay = std::max(delay, milliseconds(out.reply.retry_after_ms));
      if (delay.count() >= remaining_ms(deadline)) continue;
      wait = std::max(wait, delay);
      again.push_back(s.request);
    }
    // The requests that waited for a slot go in the next round, without
    // a backoff of their own.
    again.insert(again.end(), waiting.begin(), waiting.end());
    pending = std::move(again);
    if (pending.empty() || cancelled) break;
    if (wait.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor, wait);
      std::error_code ec;
      if (t.cancel) {
        co_await timer.async_wait(asio::bind_cancellation_slot(
            t.cancel->signal.slot(), asio::redirect_error(asio::use_awaitable, ec)));
        if (t.cancel->requested) {
          cancelled = true;
          break;
        }
      } else {
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
    }
  }
  co_return outcomes;
}

}  // namespace gp::genai
