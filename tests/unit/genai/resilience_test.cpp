// The resilient service path against loopback services: retries, failover,
// cooldown, hedging, over-long input and degenerate vectors, with models of
// several endpoints configured as RuntimeConfig models.
#include <gtest/gtest.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>

#include "genai/engine.h"
#include "genai/resilient_call.h"
#include "genai/service_reply.h"
#include "loopback_http_server.h"

namespace gp::genai {
namespace {

using namespace std::chrono_literals;
using testing::HttpAnswer;
using testing::HttpExchange;
using testing::LoopbackHttpServer;

HttpAnswer embedding(const HttpExchange& ex) {
  auto body = nlohmann::json::parse(ex.body);
  auto out = nlohmann::json::array();
  const auto& input = body["input"];
  for (size_t i = 0; i < input.size(); ++i) {
    std::string doc = input[i];
    out.push_back({{"index", i}, {"embedding", {static_cast<double>(doc.size()), 1.0}}});
  }
  return {200, out.dump()};
}

HttpAnswer status(int code, std::string body = R"({"error":{"message":"busy"}})") {
  HttpAnswer a;
  a.status = code;
  a.body = std::move(body);
  return a;
}

class ResilienceTest : public ::testing::Test {
 protected:
  struct Endpoint {
    std::string uri;
    int priority = 0;
    int weight = 1;
  };

  // One embed model "m" (the default) with these endpoints.
  void configure(const std::vector<Endpoint>& endpoints,
                 const std::function<void(GenaiModel&, GenaiSettings&)>& change = {}) {
    auto next = std::make_shared<RuntimeConfig>(*config_.current());
    next->models.clear();
    next->model_endpoints.clear();
    GenaiModel m;
    m.name = "m";
    m.kind = "embed";
    m.is_default = true;
    next->genai.retry_backoff_ms = 10;
    if (change) change(m, next->genai);
    next->models.push_back(m);
    for (const auto& e : endpoints) {
      GenaiModelEndpoint ep;
      ep.model_name = "m";
      ep.uri = e.uri;
      ep.priority = e.priority;
      ep.weight = e.weight;
      next->model_endpoints.push_back(ep);
    }
    config_.publish(next);
  }

  std::future<Result<mysql::ResultSet>> submit(std::string statement) {
    auto promise = std::make_shared<std::promise<Result<mysql::ResultSet>>>();
    auto future = promise->get_future();
    RequestContext context;
    context.cancel = std::make_shared<Cancellation>();
    asio::post(session_io_, [this, promise, statement = std::move(statement),
                             context = std::move(context)]() mutable {
      asio::co_spawn(session_io_, engine_.run(std::move(statement), std::move(context)),
                     [promise](std::exception_ptr e, Result<mysql::ResultSet> r) {
                       if (e) r = std::unexpected(Error{1, "HY000", "exception"});
                       promise->set_value(std::move(r));
                     });
    });
    return future;
  }

  Result<mysql::ResultSet> run(std::string statement) {
    auto f = submit(std::move(statement));
    if (f.wait_for(20s) != std::future_status::ready) {
      ADD_FAILURE() << "no answer";
      return std::unexpected(Error{});
    }
    return f.get();
  }

  static std::string embed_one(const std::string& doc) {
    return R"(GENAI: {"type":"embed","documents":[")" + doc + R"("]})";
  }

  const EndpointStatus* status_of(const std::vector<EndpointStatus>& all, const std::string& uri) {
    for (const auto& s : all) {
      if (s.uri == uri) return &s;
    }
    return nullptr;
  }

  void SetUp() override {
    session_thread_ = std::thread([this] { session_io_.run(); });
    engine_.start();
  }

  void TearDown() override {
    engine_.stop();
    session_work_.reset();
    session_io_.stop();
    session_thread_.join();
  }

  ConfigStore config_;
  MetricsRegistry metrics_;
  Engine engine_{config_, metrics_};
  asio::io_context session_io_;
  asio::executor_work_guard<asio::io_context::executor_type> session_work_{
      session_io_.get_executor()};
  std::thread session_thread_;
};

TEST_F(ResilienceTest, RetryGoesToTheOtherEndpoint) {
  LoopbackHttpServer failing([](const HttpExchange&) { return status(503); });
  LoopbackHttpServer good(embedding);
  configure({{failing.url("/embedding"), 0}, {good.url("/embedding"), 1}});
  auto r = run(embed_one("hello"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(failing.requests(), 1);
  EXPECT_EQ(good.requests(), 1);
  auto st = engine_.endpoint_status();
  const auto* g = status_of(st, good.url("/embedding"));
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->counters.retries, 1u);
  EXPECT_EQ(g->model, "m");
  const auto* f = status_of(st, failing.url("/embedding"));
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->counters.errors, 1u);
  EXPECT_EQ(f->counters.consecutive_failures, 1);
}

TEST_F(ResilienceTest, RetryAfterIsWaitedOutOnTheOnlyEndpoint) {
  std::atomic<int> calls{0};
  LoopbackHttpServer service([&](const HttpExchange& ex) {
    if (calls++ == 0) {
      auto a = status(429);
      a.headers.push_back({"Retry-After", "1"});
      return a;
    }
    return embedding(ex);
  });
  configure({{service.url("/embedding")}});
  auto started = std::chrono::steady_clock::now();
  auto r = run(embed_one("hello"));
  auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(service.requests(), 2);
  EXPECT_GE(elapsed, 950ms);
  EXPECT_LT(elapsed, 3s);
}

TEST_F(ResilienceTest, RetryAfterPastTheTimeoutFailsAtOnce) {
  LoopbackHttpServer service([](const HttpExchange&) {
    auto a = status(429);
    a.headers.push_back({"Retry-After", "60"});
    return a;
  });
  configure({{service.url("/embedding")}},
            [](GenaiModel& m, GenaiSettings&) { m.timeout_ms = 2000; });
  auto started = std::chrono::steady_clock::now();
  auto r = run(embed_one("hello"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::kGenaiServiceError) << r.error().message;
  EXPECT_EQ(service.requests(), 1);
}

TEST_F(ResilienceTest, ConnectionResetsAndServerErrorsAreRetried) {
  std::atomic<int> calls{0};
  LoopbackHttpServer service([&](const HttpExchange& ex) {
    int n = calls++;
    if (n == 0) {
      HttpAnswer a;
      a.reset = true;
      return a;
    }
    if (n == 1) return status(500);
    return embedding(ex);
  });
  configure({{service.url("/embedding")}});
  auto r = run(embed_one("hello"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(service.requests(), 3);
}

TEST_F(ResilienceTest, ClientErrorsAreNotRetried) {
  LoopbackHttpServer service([](const HttpExchange&) { return status(400); });
  configure({{service.url("/embedding")}});
  auto r = run(embed_one("hello"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::kGenaiServiceError);
  EXPECT_EQ(service.requests(), 1);
}

TEST_F(ResilienceTest, EveryEndpointCoolingDownFailsFastNamingTheModel) {
  LoopbackHttpServer a([](const HttpExchange&) { return status(503); });
  LoopbackHttpServer b([](const HttpExchange&) { return status(503); });
  configure({{a.url("/embedding")}, {b.url("/embedding")}}, [](GenaiModel&, GenaiSettings& g) {
    g.endpoint_failure_threshold = 1;
    g.endpoint_cooldown_ms = 60000;
    g.max_retries = 1;
  });
  auto first = run(embed_one("hello"));
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().code, errc::kGenaiServiceError) << first.error().message;
  EXPECT_EQ(a.requests() + b.requests(), 2);  // one each: the retry failed over
  auto started = std::chrono::steady_clock::now();
  auto second = run(embed_one("hello"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 100ms);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, errc::kGenaiServiceUnreachable);
  EXPECT_NE(second.error().message.find("model 'm'"), std::string::npos) << second.error().message;
  EXPECT_NE(second.error().message.find("cooling down"), std::string::npos);
  EXPECT_EQ(a.requests() + b.requests(), 2);
  for (const auto& s : engine_.endpoint_status()) {
    if (s.model != "m") continue;
    EXPECT_EQ(s.state, "cooling") << s.uri;
  }
}

TEST_F(ResilienceTest, CooledDownEndpointIsProbedAndComesBack) {
  std::atomic<bool> healthy{false};
  LoopbackHttpServer service(
      [&](const HttpExchange& ex) { return healthy ? embedding(ex) : status(503); });
  configure({{service.url("/embedding")}}, [](GenaiModel&, GenaiSettings& g) {
    g.endpoint_failure_threshold = 1;
    g.endpoint_cooldown_ms = 200;
    g.max_retries = 0;
  });
  ASSERT_FALSE(run(embed_one("a")).has_value());
  auto fast = run(embed_one("a"));
  ASSERT_FALSE(fast.has_value());
  EXPECT_EQ(fast.error().code, errc::kGenaiServiceUnreachable);
  EXPECT_EQ(service.requests(), 1);
  healthy = true;
  std::this_thread::sleep_for(250ms);
  auto probe = run(embed_one("a"));
  ASSERT_TRUE(probe.has_value()) << probe.error().message;
  EXPECT_EQ(status_of(engine_.endpoint_status(), service.url("/embedding"))->state, "ready");
}

TEST_F(ResilienceTest, CooldownSurvivesAReloadOfAnUnchangedEndpoint) {
  LoopbackHttpServer service([](const HttpExchange&) { return status(503); });
  auto change = [](GenaiModel&, GenaiSettings& g) {
    g.endpoint_failure_threshold = 1;
    g.max_retries = 0;
  };
  configure({{service.url("/embedding")}}, change);
  ASSERT_FALSE(run(embed_one("a")).has_value());
  configure({{service.url("/embedding")}}, change);
  auto r = run(embed_one("a"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::kGenaiServiceUnreachable) << r.error().message;
  EXPECT_EQ(service.requests(), 1);
}

TEST_F(ResilienceTest, OneEndpointKilledMidLoadFailsNoStatement) {
  auto doomed = std::make_unique<LoopbackHttpServer>(embedding);
  LoopbackHttpServer survivor(embedding);
  std::string doomed_uri = doomed->url("/embedding");
  configure({{doomed_uri}, {survivor.url("/embedding")}});
  constexpr int kStatements = 400;
  constexpr int kConcurrency = 16;
  int failed = 0;
  std::string first_failure;
  for (int wave = 0; wave < kStatements / kConcurrency; ++wave) {
    std::vector<std::future<Result<mysql::ResultSet>>> inflight;
    for (int i = 0; i < kConcurrency; ++i) inflight.push_back(submit(embed_one("doc")));
    if (wave == 5) doomed.reset();  // statements are in flight to it now
    for (auto& f : inflight) {
      ASSERT_EQ(f.wait_for(20s), std::future_status::ready);
      auto r = f.get();
      if (!r) {
        if (failed++ == 0) first_failure = r.error().message;
      }
    }
  }
  EXPECT_EQ(failed, 0) << first_failure;
  EXPECT_GT(survivor.requests(), kStatements / 2);
}

// Latency percentiles of `count` statements, `concurrency` at a time.
std::pair<double, double> p50_p99(ResilienceTest* t,
                                  const std::function<std::future<Result<mysql::ResultSet>>()>& go,
                                  int count, int concurrency, int& failures) {
  std::vector<double> ms;
  for (int done = 0; done < count; done += concurrency) {
    std::vector<
        std::pair<std::chrono::steady_clock::time_point, std::future<Result<mysql::ResultSet>>>>
        wave;
    for (int i = 0; i < concurrency; ++i) wave.emplace_back(std::chrono::steady_clock::now(), go());
    for (auto& [start, f] : wave) {
      f.wait();
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
      if (!f.get()) failures++;
    }
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[ms.size() * 99 / 100]};
}

TEST_F(ResilienceTest, HedgingBringsP99UnderThreeTimesP50) {
  // Every tenth answer of one endpoint takes 10x the usual time. The usual
  // time is long enough that a busy machine's scheduling delays stay small
  // beside it.
  std::atomic<int> calls{0};
  LoopbackHttpServer sometimes_slow([&](const HttpExchange& ex) {
    auto a = embedding(ex);
    a.delay_ms = calls++ % 10 == 9 ? 1000 : 100;
    return a;
  });
  LoopbackHttpServer steady([](const HttpExchange& ex) {
    auto a = embedding(ex);
    a.delay_ms = 100;
    return a;
  });
  auto go = [&] { return submit(embed_one("doc")); };
  int failures = 0;
  configure({{sometimes_slow.url("/embedding")}, {steady.url("/embedding")}});
  auto [p50_off, p99_off] = p50_p99(this, go, 200, 10, failures);
  configure({{sometimes_slow.url("/embedding")}, {steady.url("/embedding")}},
            [](GenaiModel& m, GenaiSettings&) { m.hedge_after_ms = 130; });
  auto [p50_on, p99_on] = p50_p99(this, go, 200, 10, failures);
  EXPECT_EQ(failures, 0);
  std::printf("hedging off: p50 %.1f ms p99 %.1f ms; on (after 130 ms): p50 %.1f ms p99 %.1f ms\n",
              p50_off, p99_off, p50_on, p99_on);
  EXPECT_GT(p99_off, 3 * p50_off);  // the slow answers do show without hedging
  EXPECT_LT(p99_on, 3 * p50_on);
  uint64_t hedges = 0;
  for (const auto& s : engine_.endpoint_status()) hedges += s.counters.hedges;
  EXPECT_GT(hedges, 0u);
}

TEST_F(ResilienceTest, OverLongInputNamesTheDocumentAndTheTokenCounts) {
  LoopbackHttpServer service([](const HttpExchange& ex) {
    auto body = nlohmann::json::parse(ex.body);
    std::string doc = body["input"][0];
    if (doc.size() < 10) return embedding(ex);
    return status(400, R"({"error":{"code":400,"message":"input is too large","type":)"
                       R"("exceed_context_size_error","n_prompt_tokens":9000,"n_ctx":512}})");
  });
  configure({{service.url("/embedding")}});
  auto next = std::make_shared<RuntimeConfig>(*config_.current());
  next->genai.batch_size = 1;
  config_.publish(next);
  auto r = run(R"(GENAI: {"type":"embed","documents":["short","", "a much longer document"]})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::kGenaiInputTooLong) << r.error().message;
  EXPECT_EQ(r.error().sqlstate, "22001");
  EXPECT_NE(r.error().message.find("document 3 "), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("9000 tokens, context 512"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(service.requests(), 2);  // not retried
}

TEST_F(ResilienceTest, AllZeroVectorsAreInvalidAnswers) {
  LoopbackHttpServer service([](const HttpExchange&) {
    return HttpAnswer{200, R"([{"index":0,"embedding":[[0,0,0]]}])"};
  });
  configure({{service.url("/embedding")}});
  auto r = run(embed_one("hello"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::kGenaiInvalidAnswer) << r.error().message;
  EXPECT_NE(r.error().message.find("all zeros"), std::string::npos) << r.error().message;
}

TEST(RetryPolicy, RetryableFailures) {
  HttpReply r;
  r.code = CURLE_COULDNT_CONNECT;
  EXPECT_TRUE(is_retryable(r));
  r.code = CURLE_OPERATION_TIMEDOUT;
  EXPECT_TRUE(is_retryable(r));
  r.code = CURLE_ABORTED_BY_CALLBACK;
  EXPECT_FALSE(is_retryable(r));
  r.code = CURLE_OK;
  for (long s : {408, 429, 500, 502, 503, 504}) {
    r.status = s;
    EXPECT_TRUE(is_retryable(r)) << s;
  }
  for (long s : {200, 400, 401, 404, 413, 422, 501}) {
    r.status = s;
    EXPECT_FALSE(is_retryable(r)) << s;
  }
}

TEST(RetryPolicy, BackoffDoublesWithJitter) {
  EXPECT_EQ(backoff_delay(0, 100, 0.0), 100ms);
  EXPECT_EQ(backoff_delay(0, 100, 0.999).count(), 50);
  EXPECT_EQ(backoff_delay(2, 100, 0.0), 400ms);
  EXPECT_EQ(backoff_delay(3, 0, 0.5), 0ms);
  EXPECT_LE(backoff_delay(40, 1000, 0.0), 60000ms);
}

TEST(InputTooLong, RecognisesEachServicesShape) {
  HttpReply r;
  r.status = 413;
  r.body = "payload too large";
  ASSERT_TRUE(input_too_long(r));
  r.status = 422;
  r.body = R"({"error":"Input validation error: `inputs` must have less than 512 tokens. )"
           R"(Given: 600","error_type":"Validation"})";
  auto tei = input_too_long(r);
  ASSERT_TRUE(tei);
  EXPECT_EQ(tei->context_tokens, 512);
  EXPECT_EQ(tei->prompt_tokens, 600);
  r.status = 400;
  r.body = R"({"error":{"message":"This model's maximum context length is 8192 tokens, )"
           R"(however you requested 9001 tokens (9001 in your prompt).","type":)"
           R"("invalid_request_error"}})";
  auto openai = input_too_long(r);
  ASSERT_TRUE(openai);
  EXPECT_EQ(openai->context_tokens, 8192);
  EXPECT_EQ(openai->prompt_tokens, 9001);
  r.body = R"({"error":{"message":"bad json"}})";
  EXPECT_FALSE(input_too_long(r));
  r.status = 503;
  r.body = R"({"error":{"message":"Loading model"}})";
  EXPECT_FALSE(input_too_long(r));
}

}  // namespace
}  // namespace gp::genai

namespace gp::genai {
namespace {

HttpAnswer loading_model() {
  return status(503,
                R"({"error":{"code":503,"message":"Loading model","type":"unavailable_error"}})");
}

// A llama-server that loads its model for the first `loading` requests: the
// statement waits, beyond max_retries, succeeds, and the endpoint is not blamed.
TEST_F(ResilienceTest, LoadingModelIsWaitedForWithoutBlamingTheEndpoint) {
  std::atomic<int> calls{0};
  LoopbackHttpServer service(
      [&](const HttpExchange& ex) { return calls++ < 6 ? loading_model() : embedding(ex); });
  configure({{service.url("/embedding")}}, [](GenaiModel&, GenaiSettings& g) {
    g.max_retries = 1;
    g.endpoint_failure_threshold = 2;
    g.retry_backoff_ms = 10;
  });
  auto r = run(embed_one("hello"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(service.requests(), 7);
  const auto* s = status_of(engine_.endpoint_status(), service.url("/embedding"));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->state, "ready");
  EXPECT_EQ(s->counters.consecutive_failures, 0);
  EXPECT_EQ(s->counters.errors, 0u);
}

// An ordinary 503 still counts against the endpoint and max_retries.
TEST_F(ResilienceTest, OtherServiceUnavailableAnswersStillFail) {
  LoopbackHttpServer service([](const HttpExchange&) { return status(503); });
  configure({{service.url("/embedding")}}, [](GenaiModel&, GenaiSettings& g) {
    g.max_retries = 1;
    g.endpoint_failure_threshold = 2;
  });
  auto r = run(embed_one("hello"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(service.requests(), 2);
  EXPECT_EQ(status_of(engine_.endpoint_status(), service.url("/embedding"))->state, "cooling");
}

// A model that stays loading past the statement's timeout fails within it,
// with the service's message.
TEST_F(ResilienceTest, LoadingPastTheTimeoutFailsWithinIt) {
  LoopbackHttpServer service([](const HttpExchange&) { return loading_model(); });
  configure({{service.url("/embedding")}},
            [](GenaiModel& m, GenaiSettings&) { m.timeout_ms = 1500; });
  auto started = std::chrono::steady_clock::now();
  auto r = run(embed_one("hello"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2500ms);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::kGenaiServiceError) << r.error().message;
  EXPECT_NE(r.error().message.find("Loading model"), std::string::npos) << r.error().message;
  EXPECT_GT(service.requests(), 2);
}

TEST(LoadingDelay, GrowsFromFiftyMillisecondsToASecond) {
  EXPECT_EQ(loading_delay(0, 0, 0.0), 50ms);
  EXPECT_EQ(loading_delay(1, 100, 0.0), 200ms);
  EXPECT_EQ(loading_delay(10, 100, 0.0), 1000ms);
  EXPECT_EQ(loading_delay(10, 100, 1.0), 500ms);
}

// The probes of a llama-server-shaped endpoint carry its credential and fill
// its discovery record; a dimension that contradicts the model is a warning.
TEST_F(ResilienceTest, ProbesFillTheDiscoveryOfNamedModels) {
  LoopbackHttpServer service(embedding);
  std::mutex seen_mutex;
  std::vector<std::string> paths;
  std::string authorization;
  service.on_probe([&](const HttpExchange& ex) -> HttpAnswer {
    {
      std::lock_guard lock(seen_mutex);
      paths.push_back(ex.path);
      authorization = ex.headers.count("authorization") ? ex.headers.at("authorization") : "";
    }
    if (ex.path == "/health") return {200, R"({"status":"ok"})"};
    if (ex.path == "/props") {
      return {200, R"({"default_generation_settings":{"n_ctx":256},"total_slots":2})"};
    }
    if (ex.path == "/v1/models") {
      return {200, R"({"data":[{"id":"tiny","meta":{"n_embd":2,"n_ctx_train":512}}]})"};
    }
    // An embedding server asked whether it reranks (the kind request).
    return {501, R"({"error":{"code":501,"message":"This server does not support reranking"}})"};
  });
  auto wait_for = [&](auto done) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      for (const auto& d : engine_.endpoint_discovery()) {
        if (d.model == "m" && done(d)) return d;
      }
      std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << "no probe result";
    return EndpointDiscovery{};
  };
  auto configure_with = [&](int dimensions) {
    auto next = std::make_shared<RuntimeConfig>(*config_.current());
    next->models.clear();
    next->model_endpoints.clear();
    GenaiCredential key;
    key.name = "key";
    key.secret = "s3cret";
    next->credentials = {key};
    GenaiModel m;
    m.name = "m";
    m.credential = "key";
    m.dimensions = dimensions;
    m.is_default = true;
    next->models.push_back(m);
    GenaiModelEndpoint ep;
    ep.model_name = "m";
    ep.uri = service.url("/embedding");
    next->model_endpoints.push_back(ep);
    config_.publish(next);
  };
  configure_with(0);
  auto d = wait_for([](const EndpointDiscovery& d) { return d.facts.state == "ok"; });
  EXPECT_EQ(d.facts.dimension, 2);
  EXPECT_EQ(d.facts.context_size, 256);
  EXPECT_EQ(d.facts.slots, 2);
  EXPECT_EQ(d.facts.model_id, "tiny");
  EXPECT_EQ(d.facts.kind, "embed");
  EXPECT_GT(d.facts.probed_at, 0);
  EXPECT_EQ(d.warning, "");
  {
    std::lock_guard lock(seen_mutex);
    EXPECT_NE(std::find(paths.begin(), paths.end(), "/props"), paths.end());
    EXPECT_NE(std::find(paths.begin(), paths.end(), "/rerank"), paths.end());
    EXPECT_EQ(authorization, "Bearer s3cret");
  }
  EXPECT_EQ(service.requests(), 0);  // probes are not statements' requests

  // A reload probes again at once; the contradiction is kept with the record.
  configure_with(384);
  auto w = wait_for([](const EndpointDiscovery& d) { return !d.warning.empty(); });
  EXPECT_EQ(w.warning, "the endpoint reports dimension 2, but genai_models.dimensions is 384");
}

TEST_F(ResilienceTest, UnreachableEndpointIsReportedSo) {
  int port = 0;
  {
    LoopbackHttpServer gone(embedding);
    port = gone.port();
  }
  auto next = std::make_shared<RuntimeConfig>(*config_.current());
  GenaiModel m;
  m.name = "down";
  next->models = {m};
  GenaiModelEndpoint ep;
  ep.model_name = "down";
  ep.uri = "http://127.0.0.1:" + std::to_string(port) + "/embedding";
  next->model_endpoints = {ep};
  config_.publish(next);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  std::string state;
  while (std::chrono::steady_clock::now() < deadline && state != "unreachable") {
    for (const auto& d : engine_.endpoint_discovery()) state = d.facts.state;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(state, "unreachable");
}

}  // namespace
}  // namespace gp::genai
