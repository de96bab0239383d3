// The per-model limits of genai_models and genai_endpoints against loopback
// services: dimensions (configured and learnt), max_batch_documents and
// max_batch_bytes, cache_ttl_s, the timeout / retry overrides, an endpoint's
// max_concurrency, the micro-batched path through the resilient one, the
// endpoints' error classes and latency histogram, and upstream tokens.
#include <gtest/gtest.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "genai/embedding_adapter.h"
#include "genai/endpoint_stats.h"
#include "genai/engine.h"
#include "genai/provider.h"
#include "genai/rerank_adapter.h"
#include "loopback_http_server.h"

namespace gp::genai {
namespace {

using namespace std::chrono_literals;
using testing::HttpAnswer;
using testing::HttpExchange;
using testing::LoopbackHttpServer;

// Vectors of `dimension` values: the document's length, then ones.
HttpAnswer embedding(const HttpExchange& ex, size_t dimension = 2, std::string usage = {}) {
  auto body = nlohmann::json::parse(ex.body);
  auto data = nlohmann::json::array();
  const auto& input = body["input"];
  for (size_t i = 0; i < input.size(); ++i) {
    std::string doc = input[i];
    std::vector<double> v(dimension, 1.0);
    v[0] = static_cast<double>(doc.size());
    data.push_back({{"index", i}, {"embedding", v}});
  }
  nlohmann::json out = {{"data", data}};
  if (!usage.empty()) out["usage"] = nlohmann::json::parse(usage);
  return {200, out.dump()};
}

// Scores: the document's length.
HttpAnswer rerank(const HttpExchange& ex) {
  auto body = nlohmann::json::parse(ex.body);
  auto results = nlohmann::json::array();
  const auto& docs = body["documents"];
  // Reversed, as a service that sorts by score would answer.
  for (size_t i = docs.size(); i-- > 0;) {
    std::string doc = docs[i];
    results.push_back({{"index", i}, {"relevance_score", static_cast<double>(doc.size())}});
  }
  return {200, nlohmann::json({{"results", results}}).dump()};
}

HttpAnswer status(int code) {
  HttpAnswer a;
  a.status = code;
  a.body = R"({"error":{"message":"no"}})";
  return a;
}

// Counts the requests a service holds at once.
struct ConcurrencyProbe {
  std::atomic<int> now{0};
  std::atomic<int> most{0};
  void enter() {
    int n = ++now;
    int m = most.load();
    while (n > m && !most.compare_exchange_weak(m, n)) {
    }
  }
  void leave() { --now; }
};

class ModelLimitsTest : public ::testing::Test {
 protected:
  struct Endpoint {
    std::string uri;
    int priority = 0;
    int max_concurrency = 0;
  };

  // One model "m" (the default of its kind) with these endpoints.
  void configure(const std::vector<Endpoint>& endpoints,
                 const std::function<void(GenaiModel&, GenaiSettings&)>& change = {},
                 const std::string& kind = "embed") {
    auto next = std::make_shared<RuntimeConfig>(*config_.current());
    next->models.clear();
    next->model_endpoints.clear();
    GenaiModel m;
    m.name = "m";
    m.kind = kind;
    m.is_default = true;
    next->genai.retry_backoff_ms = 10;
    next->genai.threads = 1;
    if (change) change(m, next->genai);
    next->models.push_back(m);
    for (const auto& e : endpoints) {
      GenaiModelEndpoint ep;
      ep.model_name = "m";
      ep.uri = e.uri;
      ep.priority = e.priority;
      ep.max_concurrency = e.max_concurrency;
      next->model_endpoints.push_back(ep);
    }
    config_.publish(next);
  }

  std::future<Result<mysql::ResultSet>> submit(std::string statement) {
    auto promise = std::make_shared<std::promise<Result<mysql::ResultSet>>>();
    auto future = promise->get_future();
    RequestContext context;
    context.username = "app";
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

  static std::string embed(const std::vector<std::string>& docs) {
    std::string s = R"(GENAI: {"type":"embed","documents":[)";
    for (size_t i = 0; i < docs.size(); ++i) s += (i ? ",\"" : "\"") + docs[i] + "\"";
    return s + "]}";
  }

  EndpointStatus status_of(const std::string& uri) {
    for (const auto& s : engine_.endpoint_status()) {
      if (s.uri == uri) return s;
    }
    ADD_FAILURE() << "no endpoint " << uri;
    return {};
  }

  static void expect_error(const Result<mysql::ResultSet>& r, uint16_t code,
                           const std::vector<std::string>& fragments) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, code) << r.error().message;
    for (const auto& f : fragments) {
      EXPECT_NE(r.error().message.find(f), std::string::npos)
          << "'" << f << "' not in: " << r.error().message;
    }
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

TEST_F(ModelLimitsTest, ConfiguredDimensionsRefuseAnotherSize) {
  LoopbackHttpServer service([](const HttpExchange& ex) { return embedding(ex, 3); });
  configure({{service.url("/v1/embeddings")}},
            [](GenaiModel& m, GenaiSettings&) { m.dimensions = 4; });
  auto r = run(embed({"hello"}));
  expect_error(r, errc::kGenaiInvalidAnswer,
               {"model 'm'", service.url("/v1/embeddings"), "expects vectors of 4 dimensions",
                "genai_models.dimensions", "the answer has 3"});
  EXPECT_EQ(status_of(service.url("/v1/embeddings"))
                .counters.errors_by_class[static_cast<size_t>(ErrorClass::kInvalidAnswer)],
            1u);
  configure({{service.url("/v1/embeddings")}},
            [](GenaiModel& m, GenaiSettings&) { m.dimensions = 3; });
  EXPECT_TRUE(run(embed({"hello"})).has_value());
}

TEST_F(ModelLimitsTest, DimensionsAreLearntFromTheFirstAnswerThenEnforced) {
  std::atomic<size_t> dimension{2};
  LoopbackHttpServer service([&](const HttpExchange& ex) { return embedding(ex, dimension); });
  auto setup = [&](const std::string& provider_model) {
    configure({{service.url("/v1/embeddings")}},
              [&](GenaiModel& m, GenaiSettings&) { m.provider_model = provider_model; });
  };
  setup("a");
  ASSERT_TRUE(run(embed({"one"})).has_value());
  dimension = 5;
  expect_error(
      run(embed({"two"})), errc::kGenaiInvalidAnswer,
      {"expects vectors of 2 dimensions", "learnt from its first answer", "the answer has 5"});
  // The same configuration loaded again keeps what was learnt...
  setup("a");
  expect_error(run(embed({"three"})), errc::kGenaiInvalidAnswer, {"expects vectors of 2"});
  // ...a changed one learns afresh.
  setup("b");
  ASSERT_TRUE(run(embed({"four"})).has_value());
  dimension = 2;
  expect_error(run(embed({"five"})), errc::kGenaiInvalidAnswer, {"expects vectors of 5"});
}

TEST_F(ModelLimitsTest, MaxBatchDocumentsSplitsAndJoinsInOrder) {
  std::atomic<size_t> largest{0};
  LoopbackHttpServer service([&](const HttpExchange& ex) {
    size_t n = nlohmann::json::parse(ex.body)["input"].size();
    largest = std::max<size_t>(largest, n);
    return embedding(ex);
  });
  configure({{service.url("/v1/embeddings")}},
            [](GenaiModel& m, GenaiSettings&) { m.max_batch_documents = 2; });
  auto r = run(embed({"a", "bb", "ccc", "dddd", "eeeee"}));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(service.requests(), 3);
  EXPECT_EQ(largest.load(), 2u);
  ASSERT_EQ(r->rows.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(*r->rows[i][0], std::to_string(i + 1) + ",1");
}

TEST_F(ModelLimitsTest, MaxBatchBytesSplitsAndALongerDocumentGoesAlone) {
  std::vector<size_t> sizes;
  std::mutex mutex;
  LoopbackHttpServer service([&](const HttpExchange& ex) {
    std::lock_guard lock(mutex);
    sizes.push_back(nlohmann::json::parse(ex.body)["input"].size());
    return embedding(ex);
  });
  configure({{service.url("/v1/embeddings")}},
            [](GenaiModel& m, GenaiSettings&) { m.max_batch_bytes = 10; });
  auto r = run(embed({"aaaa", "bbbb", "cccc", "dddddddddddddddd", "ee"}));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(service.requests(), 4);  // [aaaa bbbb] [cccc] [dddd...] [ee]
  {
    std::lock_guard lock(mutex);
    std::sort(sizes.begin(), sizes.end());
    EXPECT_EQ(sizes, (std::vector<size_t>{1, 1, 1, 2}));
  }
  ASSERT_EQ(r->rows.size(), 5u);
  EXPECT_EQ(*r->rows[3][0], "16,1");
  EXPECT_EQ(*r->rows[4][0], "2,1");
}

TEST(SplitDocuments, ByCountAndBytes) {
  std::vector<std::string> docs = {"aaaa", "bbbb", "cccc", "dddddddddddd", "ee", "f"};
  using Cuts = std::vector<std::pair<size_t, size_t>>;
  EXPECT_EQ(split_documents(docs, 0, 0), (Cuts{{0, 6}}));
  EXPECT_EQ(split_documents(docs, 4, 0), (Cuts{{0, 4}, {4, 2}}));
  EXPECT_EQ(split_documents(docs, 0, 10), (Cuts{{0, 2}, {2, 1}, {3, 1}, {4, 2}}));
  EXPECT_EQ(split_documents(docs, 1, 100), (Cuts{{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}}));
  EXPECT_TRUE(split_documents({}, 2, 2).empty());
}

TEST_F(ModelLimitsTest, SplitRerankKeepsTheOriginalIndexes) {
  LoopbackHttpServer service(rerank);
  configure(
      {{service.url("/v1/rerank")}},
      [](GenaiModel& m, GenaiSettings&) { m.max_batch_documents = 2; }, "rerank");
  auto r = run(
      R"(GENAI: {"type":"rerank","query":"q","documents":["bb","a","dddd","ccc","eeeee"],"columns":3})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(service.requests(), 3);
  ASSERT_EQ(r->rows.size(), 5u);
  std::vector<std::string> order;
  for (const auto& row : r->rows) order.push_back(*row[0] + ":" + *row[2]);
  EXPECT_EQ(order, (std::vector<std::string>{"4:eeeee", "2:dddd", "3:ccc", "0:bb", "1:a"}));
}

TEST_F(ModelLimitsTest, CacheTtlIsTheModelsOwn) {
  LoopbackHttpServer service([](const HttpExchange& ex) { return embedding(ex); });
  // The model caches although genai-cache_ttl_s is 0...
  configure({{service.url("/v1/embeddings")}}, [](GenaiModel& m, GenaiSettings& g) {
    m.cache_ttl_s = 60;
    g.cache_ttl_s = 0;
    g.cache_max_bytes = 1 << 20;
  });
  ASSERT_TRUE(run(embed({"x", "y"})).has_value());
  ASSERT_TRUE(run(embed({"x", "y"})).has_value());
  EXPECT_EQ(service.requests(), 1);
  // ...and 0 is no caching for it, whatever genai-cache_ttl_s says.
  configure({{service.url("/v1/embeddings")}}, [](GenaiModel& m, GenaiSettings& g) {
    m.cache_ttl_s = 0;
    g.cache_ttl_s = 60;
    g.cache_max_bytes = 1 << 20;
  });
  ASSERT_TRUE(run(embed({"x", "y"})).has_value());
  ASSERT_TRUE(run(embed({"x", "y"})).has_value());
  EXPECT_EQ(service.requests(), 3);
}

TEST_F(ModelLimitsTest, MaxRetriesAndTimeoutAreTheModelsOwn) {
  LoopbackHttpServer failing([](const HttpExchange&) { return status(503); });
  configure({{failing.url("/v1/embeddings")}}, [](GenaiModel& m, GenaiSettings& g) {
    m.max_retries = 2;
    g.max_retries = 0;
    g.endpoint_failure_threshold = 0;
  });
  expect_error(run(embed({"x"})), errc::kGenaiServiceError, {"after 3 attempts"});
  EXPECT_EQ(failing.requests(), 3);

  LoopbackHttpServer silent([](const HttpExchange&) {
    HttpAnswer a;
    a.hang = true;
    return a;
  });
  configure({{silent.url("/v1/embeddings")}}, [](GenaiModel& m, GenaiSettings& g) {
    m.timeout_ms = 300;
    m.max_retries = 0;
    g.embedding_timeout_ms = 30000;
  });
  auto started = std::chrono::steady_clock::now();
  expect_error(run(embed({"x"})), errc::kGenaiServiceTimeout, {});
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST_F(ModelLimitsTest, MaxConcurrencyHoldsAttemptsInFlight) {
  ConcurrencyProbe probe;
  LoopbackHttpServer service([&](const HttpExchange& ex) {
    probe.enter();
    std::this_thread::sleep_for(50ms);
    probe.leave();
    return embedding(ex);
  });
  configure({{service.url("/v1/embeddings"), 0, 2}});
  std::vector<std::future<Result<mysql::ResultSet>>> all;
  for (int i = 0; i < 8; ++i) all.push_back(submit(embed({"d" + std::to_string(i)})));
  for (auto& f : all) {
    ASSERT_EQ(f.wait_for(20s), std::future_status::ready);
    auto r = f.get();
    EXPECT_TRUE(r.has_value()) << r.error().message;
  }
  EXPECT_EQ(probe.most.load(), 2);
  EXPECT_EQ(service.requests(), 8);
  EXPECT_EQ(status_of(service.url("/v1/embeddings")).counters.in_flight, 0);
}

TEST_F(ModelLimitsTest, AFullEndpointSendsTheRestToAnother) {
  ConcurrencyProbe probe;
  LoopbackHttpServer first([&](const HttpExchange& ex) {
    probe.enter();
    std::this_thread::sleep_for(200ms);
    probe.leave();
    return embedding(ex);
  });
  LoopbackHttpServer second([](const HttpExchange& ex) { return embedding(ex); });
  configure({{first.url("/v1/embeddings"), 0, 1}, {second.url("/v1/embeddings"), 1, 0}});
  auto a = submit(embed({"a"}));
  std::this_thread::sleep_for(50ms);
  auto b = submit(embed({"b"}));
  ASSERT_EQ(b.wait_for(20s), std::future_status::ready);
  EXPECT_TRUE(b.get().has_value());
  ASSERT_EQ(a.wait_for(20s), std::future_status::ready);
  EXPECT_TRUE(a.get().has_value());
  EXPECT_EQ(first.requests(), 1);
  EXPECT_EQ(second.requests(), 1);
  EXPECT_EQ(probe.most.load(), 1);
}

TEST_F(ModelLimitsTest, WaitingForASlotEndsAtTheStatementsTimeout) {
  LoopbackHttpServer service([](const HttpExchange& ex) {
    std::this_thread::sleep_for(1500ms);
    return embedding(ex);
  });
  configure({{service.url("/v1/embeddings"), 0, 1}},
            [](GenaiModel& m, GenaiSettings&) { m.timeout_ms = 2500; });
  auto a = submit(embed({"a"}));
  std::this_thread::sleep_for(100ms);
  configure({{service.url("/v1/embeddings"), 0, 1}},
            [](GenaiModel& m, GenaiSettings&) { m.timeout_ms = 400; });
  auto b = submit(embed({"b"}));
  ASSERT_EQ(b.wait_for(20s), std::future_status::ready);
  expect_error(b.get(), errc::kGenaiServiceTimeout,
               {"waiting for a free slot", "model 'm'", "max_concurrency"});
  ASSERT_EQ(a.wait_for(20s), std::future_status::ready);
  EXPECT_TRUE(a.get().has_value());
  EXPECT_EQ(service.requests(), 1);
}

TEST_F(ModelLimitsTest, MicroBatchedEmbedsHonourRetryAfter) {
  std::atomic<int> calls{0};
  LoopbackHttpServer service([&](const HttpExchange& ex) {
    if (calls++ == 0) {
      auto a = status(429);
      a.headers.push_back({"Retry-After", "1"});
      return a;
    }
    return embedding(ex);
  });
  configure({{service.url("/v1/embeddings")}}, [](GenaiModel& m, GenaiSettings& g) {
    m.max_retries = 1;
    g.batch_window_us = 20000;
    g.batch_max_documents = 64;
  });
  auto started = std::chrono::steady_clock::now();
  auto r = run(embed({"a"}));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_GE(std::chrono::steady_clock::now() - started, 900ms);
  EXPECT_EQ(service.requests(), 2);
  auto st = status_of(service.url("/v1/embeddings"));
  EXPECT_EQ(st.counters.retries, 1u);
  EXPECT_EQ(st.counters.errors_by_class[static_cast<size_t>(ErrorClass::kHttp429)], 1u);
}

TEST_F(ModelLimitsTest, MicroBatchedEmbedsAreHedged) {
  LoopbackHttpServer slow([](const HttpExchange& ex) {
    auto a = embedding(ex);
    a.delay_ms = 2000;
    return a;
  });
  LoopbackHttpServer fast([](const HttpExchange& ex) { return embedding(ex); });
  configure({{slow.url("/v1/embeddings"), 0}, {fast.url("/v1/embeddings"), 1}},
            [](GenaiModel& m, GenaiSettings& g) {
              m.hedge_after_ms = 100;
              g.batch_window_us = 20000;
              g.batch_max_documents = 64;
            });
  auto started = std::chrono::steady_clock::now();
  auto r = run(embed({"a"}));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
  EXPECT_EQ(status_of(fast.url("/v1/embeddings")).counters.hedges, 1u);
}

TEST_F(ModelLimitsTest, MicroBatchedAnswersAreHeldToTheDimensions) {
  LoopbackHttpServer service([](const HttpExchange& ex) { return embedding(ex, 2); });
  configure({{service.url("/v1/embeddings")}}, [](GenaiModel& m, GenaiSettings& g) {
    m.dimensions = 4;
    g.batch_window_us = 20000;
    g.batch_max_documents = 64;
  });
  expect_error(
      run(embed({"a"})), errc::kGenaiInvalidAnswer,
      {service.url("/v1/embeddings"), "expects vectors of 4 dimensions", "the answer has 2"});
  EXPECT_EQ(status_of(service.url("/v1/embeddings"))
                .counters.errors_by_class[static_cast<size_t>(ErrorClass::kInvalidAnswer)],
            1u);
}

TEST_F(ModelLimitsTest, ErrorClassesAndLatencyAreCounted) {
  std::atomic<int> calls{0};
  LoopbackHttpServer service([&](const HttpExchange& ex) {
    switch (calls++) {
      case 0:
        return status(503);
      case 1:
        return status(404);
      case 2:
        return HttpAnswer{200, "[]"};
      default: {
        auto a = embedding(ex);
        a.delay_ms = 30;
        return a;
      }
    }
  });
  configure({{service.url("/v1/embeddings")}}, [](GenaiModel& m, GenaiSettings& g) {
    m.max_retries = 0;
    g.max_retries = 0;
    g.endpoint_failure_threshold = 0;
  });
  for (int i = 0; i < 4; ++i) run(embed({"x"}));
  auto st = status_of(service.url("/v1/embeddings"));
  auto by = [&](ErrorClass c) { return st.counters.errors_by_class[static_cast<size_t>(c)]; };
  EXPECT_EQ(by(ErrorClass::kHttp5xx), 1u);
  EXPECT_EQ(by(ErrorClass::kHttp4xx), 1u);
  EXPECT_EQ(by(ErrorClass::kInvalidAnswer), 1u);
  EXPECT_EQ(by(ErrorClass::kTransport), 0u);
  EXPECT_EQ(st.counters.errors, 3u);
  uint64_t answered = 0;
  for (uint64_t n : st.counters.latency_buckets) answered += n;
  EXPECT_EQ(answered, 4u);
  EXPECT_GE(st.counters.latency_sum_ms, 30u);

  auto table = metrics_.snapshot("stats_genai_endpoints");
  auto row = std::find_if(table.rows.begin(), table.rows.end(),
                          [&](const auto& r) { return r[1] == service.url("/v1/embeddings"); });
  ASSERT_NE(row, table.rows.end());
  auto col = [&](const std::string& name) {
    auto it = std::find(table.columns.begin(), table.columns.end(), name);
    EXPECT_NE(it, table.columns.end()) << name;
    return (*row)[static_cast<size_t>(it - table.columns.begin())];
  };
  EXPECT_EQ(col("state"), "online");
  EXPECT_EQ(col("errors_http_5xx"), "1");
  EXPECT_EQ(col("errors_invalid_answer"), "1");
  auto latency = metrics_.snapshot("stats_genai_endpoint_latency");
  std::vector<std::vector<std::string>> buckets;
  for (const auto& r : latency.rows) {
    if (r[1] == service.url("/v1/embeddings")) buckets.push_back(r);
  }
  ASSERT_EQ(buckets.size(), kEndpointLatencyBucketsMs.size() + 1);
  EXPECT_EQ(buckets.front()[2], "5");
  EXPECT_EQ(buckets.back()[2], "+Inf");
  EXPECT_EQ(buckets.back()[3], "4");
}

TEST_F(ModelLimitsTest, UpstreamTokensAreSummedPerUserModelAndDigest) {
  LoopbackHttpServer service([](const HttpExchange& ex) {
    return embedding(ex, 2, R"({"prompt_tokens":7,"total_tokens":7})");
  });
  configure({{service.url("/v1/embeddings")}},
            [](GenaiModel& m, GenaiSettings&) { m.max_batch_documents = 1; });
  ASSERT_TRUE(run(embed({"a", "b"})).has_value());
  ASSERT_TRUE(run(embed({"c", "d"})).has_value());
  auto t = metrics_.snapshot("stats_genai_usage");
  auto at = std::find(t.columns.begin(), t.columns.end(), "upstream_tokens") - t.columns.begin();
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0][static_cast<size_t>(at)], "28");  // 2 statements x 2 requests x 7
}

TEST(ReportedTokens, EachServicesShape) {
  simdjson::dom::parser parser;
  auto embed_tokens = [&](std::string body) {
    auto r = parse_embedding_answer(body, 1, parser);
    EXPECT_TRUE(r.has_value()) << body;
    return r ? r->upstream_tokens : 999;
  };
  EXPECT_EQ(embed_tokens(R"({"data":[{"index":0,"embedding":[1,2]}],
      "usage":{"prompt_tokens":5,"total_tokens":6}})"),
            6u);
  EXPECT_EQ(embed_tokens(R"({"data":[{"index":0,"embedding":[1,2]}],"usage":{"prompt_tokens":5}})"),
            5u);
  EXPECT_EQ(embed_tokens(R"({"embeddings":[[1,2]],"meta":{"billed_units":{"input_tokens":9}}})"),
            9u);
  EXPECT_EQ(embed_tokens(R"({"embeddings":[[1,2]],"prompt_eval_count":4})"), 4u);
  EXPECT_EQ(embed_tokens(R"([[1,2]])"), 0u);  // TEI reports none
  uint64_t tokens = 99;
  std::string rerank_body =
      R"({"results":[{"index":0,"relevance_score":0.5}],"usage":{"total_tokens":11}})";
  ASSERT_TRUE(parse_rerank_answer(rerank_body, 1, parser, &tokens).has_value());
  EXPECT_EQ(tokens, 11u);
  std::string tei_body = R"([{"index":0,"score":0.5}])";
  ASSERT_TRUE(parse_rerank_answer(tei_body, 1, parser, &tokens).has_value());
  EXPECT_EQ(tokens, 0u);
}

TEST(EndpointHealthLimits, TryStartKeepsToTheLimit) {
  EndpointHealth h;
  EXPECT_TRUE(h.try_start(2, false, false));
  EXPECT_TRUE(h.try_start(2, true, false));
  EXPECT_FALSE(h.try_start(2, false, true));
  EXPECT_FALSE(h.has_room(2));
  EXPECT_EQ(h.counters().requests, 2u);
  EXPECT_EQ(h.counters().retries, 1u);
  EXPECT_EQ(h.counters().hedges, 0u);
  h.succeeded(false);
  EXPECT_TRUE(h.has_room(2));
  EXPECT_TRUE(h.try_start(0, false, false));  // 0: no limit
  EXPECT_TRUE(h.try_start(0, false, false));
  EXPECT_EQ(h.counters().in_flight, 3);
}

TEST(EndpointHealthLimits, LatencyBucketsAreUpperBounds) {
  EndpointHealth h;
  h.observe_latency(5ms);
  h.observe_latency(6ms);
  h.observe_latency(60000ms);
  auto c = h.counters();
  EXPECT_EQ(c.latency_buckets[0], 1u);  // <= 5
  EXPECT_EQ(c.latency_buckets[1], 1u);  // <= 10
  EXPECT_EQ(c.latency_buckets.back(), 1u);
  EXPECT_EQ(c.latency_sum_ms, 60011u);
  EXPECT_EQ(endpoint_state_name("ready"), "online");
  EXPECT_EQ(endpoint_state_name("cooling"), "cooling_down");
  EXPECT_EQ(endpoint_state_name("probe_due"), "probing");
}

}  // namespace
}  // namespace gp::genai
