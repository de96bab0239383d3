#include "genai/engine.h"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>

#include "genai/errors.h"
#include "genai/lexical.h"
#include "genai/number_format.h"
#include "loopback_http_server.h"

namespace gp::genai {
namespace {

using namespace std::chrono_literals;
using testing::HttpAnswer;
using testing::HttpExchange;
using testing::LoopbackHttpServer;

HttpAnswer hang_forever() {
  HttpAnswer a;
  a.hang = true;
  return a;
}

// Fake embedding model for the loopback service: [length, first byte].
HttpAnswer llama_embedding(const HttpExchange& ex) {
  auto body = nlohmann::json::parse(ex.body);
  auto out = nlohmann::json::array();
  const auto& input = body["input"];
  // Answer in reverse order: the engine must pair by index.
  for (size_t i = input.size(); i-- > 0;) {
    std::string doc = input[i];
    out.push_back({{"index", i},
                   {"embedding",
                    {{static_cast<double>(doc.size()),
                      static_cast<double>(static_cast<unsigned char>(doc[0]))}}}});
  }
  return {200, out.dump()};
}

HttpAnswer jina_rerank(const HttpExchange& ex) {
  auto body = nlohmann::json::parse(ex.body);
  auto results = nlohmann::json::array();
  const auto& docs = body["documents"];
  for (size_t i = 0; i < docs.size(); ++i) {
    std::string d = docs[i];
    results.push_back({{"index", i}, {"relevance_score", static_cast<double>(d.size()) / 10}});
  }
  return {200, nlohmann::json{{"results", results}}.dump()};
}

// What a backend session's query() gives back, after a turn of the loop.
asio::awaitable<Result<mysql::ResultSet>> answer_rows(Result<mysql::ResultSet> rows) {
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
  co_return rows;
}

class EngineTest : public ::testing::Test {
 protected:
  void configure(const std::function<void(GenaiSettings&)>& change) {
    auto next = std::make_shared<RuntimeConfig>(*config_.current());
    change(next->genai);
    config_.publish(next);
  }

  // Cancels as a session does: on the session's thread.
  struct Ticket {
    asio::io_context& io;
    std::shared_ptr<Cancellation> cancellation;
    void cancel() {
      std::promise<void> done;
      asio::post(io, [&] {
        cancellation->requested = true;
        cancellation->signal.emit(asio::cancellation_type::terminal);
        done.set_value();
      });
      done.get_future().wait();
    }
  };

  struct Outcome {
    std::shared_ptr<Ticket> ticket;
    std::future<Result<mysql::ResultSet>> result;
  };

  // Runs the statement as a session coroutine on the test's own event loop.
  Outcome submit(std::string statement, RequestContext context = {}) {
    auto promise = std::make_shared<std::promise<Result<mysql::ResultSet>>>();
    auto calls = std::make_shared<std::atomic<int>>(0);
    calls_.push_back(calls);
    Outcome o;
    o.result = promise->get_future();
    context.cancel = std::make_shared<Cancellation>();
    o.ticket = std::make_shared<Ticket>(Ticket{session_io_, context.cancel});
    std::promise<void> started;
    asio::post(session_io_,
               [&, statement = std::move(statement), context = std::move(context)]() mutable {
                 asio::co_spawn(session_io_, engine_.run(std::move(statement), std::move(context)),
                                [promise, calls](std::exception_ptr e, Result<mysql::ResultSet> r) {
                                  if (e) r = std::unexpected(Error{1, "HY000", "exception"});
                                  if (calls->fetch_add(1) == 0) promise->set_value(std::move(r));
                                });
                 started.set_value();
               });
    started.get_future().wait();
    // A statement rejected before its first suspension answers at once.
    std::promise<void> turn;
    asio::post(session_io_, [&] { turn.set_value(); });
    turn.get_future().wait();
    return o;
  }

  Result<mysql::ResultSet> run(std::string statement, RequestContext context = {}) {
    auto o = submit(std::move(statement), std::move(context));
    if (o.result.wait_for(10s) != std::future_status::ready) {
      ADD_FAILURE() << "no answer";
      return std::unexpected(Error{});
    }
    return o.result.get();
  }

  std::string stat(const std::string& name) {
    for (auto& row : metrics_.snapshot("stats_genai_global").rows) {
      if (row[0] == name) return row[1];
    }
    return "";
  }

  void SetUp() override {
    session_thread_ = std::thread([this] { session_io_.run(); });
  }

  void TearDown() override {
    engine_.stop();
    // Answers posted by the stop reach their sessions.
    std::promise<void> drained;
    asio::post(session_io_, [&] { drained.set_value(); });
    drained.get_future().wait_for(5s);
    for (auto& c : calls_) EXPECT_EQ(c->load(), 1) << "each statement must complete exactly once";
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
  std::vector<std::shared_ptr<std::atomic<int>>> calls_;
};

void expect_error(const Result<mysql::ResultSet>& r, uint16_t code, std::string_view fragment) {
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, code) << r.error().message;
  EXPECT_NE(r.error().message.find(fragment), std::string::npos)
      << "'" << fragment << "' not in: " << r.error().message;
}

TEST_F(EngineTest, LexicalEmbedThroughSubmit) {
  configure([](GenaiSettings& g) {
    g.embedding_uri = "lexical:";
    g.lexical_dimensions = 8;
    g.threads = 2;
  });
  engine_.start();
  auto r = run(R"(GENAI: {"type":"embed","documents":["hello world","second"],"format":"json"})");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->rows.size(), 2u);
  std::string expected = "[";
  auto v = lexical::embed("second", 8);
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) expected += ",";
    append_double(expected, v[i]);
  }
  expected += "]";
  EXPECT_EQ(*r->rows[1][0], expected);
  EXPECT_EQ(stat("lexical_requests"), "1");
  EXPECT_EQ(stat("requests_completed"), "1");
  EXPECT_EQ(stat("threads_running"), "2");
}

TEST_F(EngineTest, LexicalRerankThroughSubmit) {
  configure([](GenaiSettings& g) { g.rerank_uri = "lexical:"; });
  engine_.start();
  auto r = run(R"(GENAI: {"type":"rerank","query":"capital of France","top_n":2,
      "documents":["Bananas are yellow","Paris is the capital of France","Berlin is the capital of Germany"]})");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->rows.size(), 2u);
  EXPECT_EQ(*r->rows[0][0], "1");
  EXPECT_EQ(*r->rows[0][2], "Paris is the capital of France");
  EXPECT_EQ(*r->rows[1][0], "2");
}

TEST_F(EngineTest, InvalidStatementAnswersInline) {
  engine_.start();
  auto o = submit(R"(GENAI: {"type":"embed"})");
  ASSERT_EQ(o.result.wait_for(0s), std::future_status::ready);
  expect_error(o.result.get(), errc::kGenaiInvalidRequest, "documents");
  EXPECT_EQ(stat("errors_invalid_request"), "1");
}

TEST_F(EngineTest, NotStartedIsUnavailable) {
  auto r = run(R"(GENAI: {"type":"embed","documents":["a"]})");
  expect_error(r, errc::kGenaiUnavailable, "unavailable");
}

TEST_F(EngineTest, HttpEmbedPairsByIndexReusesConnections) {
  LoopbackHttpServer server(llama_embedding);
  configure([&](GenaiSettings& g) {
    g.embedding_uri = server.url("/embedding");
    g.embedding_model = "nomic";
    g.embedding_api_key = "sekret";
    g.threads = 1;
  });
  engine_.start();
  for (int i = 0; i < 3; ++i) {
    auto r = run(R"(GENAI: {"type":"embed","documents":["abc","z"]})");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r->rows[0][0], "3,97");
    EXPECT_EQ(*r->rows[1][0], "1,122");
  }
  auto last = server.last();
  EXPECT_EQ(last.path, "/embedding");
  EXPECT_EQ(last.headers["authorization"], "Bearer sekret");
  EXPECT_EQ(last.headers["content-type"], "application/json");
  EXPECT_EQ(nlohmann::json::parse(last.body)["model"], "nomic");
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(stat("upstream_connections_opened"), "1");
  EXPECT_EQ(stat("upstream_connections_reused"), "2");
  EXPECT_NE(stat("bytes_received"), "0");
}

TEST_F(EngineTest, CacheSendsOnlyMissingDocumentsAndGivesBackExactValues) {
  LoopbackHttpServer server(llama_embedding);
  configure([&](GenaiSettings& g) {
    g.embedding_uri = server.url("/embedding");
    g.cache_ttl_s = 60;
    g.threads = 1;
  });
  engine_.start();
  std::string first = R"(GENAI: {"type":"embed","documents":[)";
  std::string all = first;
  for (int i = 0; i < 100; ++i) {
    std::string doc = "\"doc " + std::to_string(i) + "\"";
    if (i < 90) first += (i ? "," : "") + doc;
    all += (i ? "," : "") + doc;
  }
  first += "]}";
  all += "]}";
  auto warm = run(first);
  ASSERT_TRUE(warm) << warm.error().message;
  auto r = run(all);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->rows.size(), 100u);
  // Only the 10 new documents went upstream, and every row is the service's own answer.
  EXPECT_EQ(nlohmann::json::parse(server.last().body)["input"].size(), 10u);
  EXPECT_EQ(*r->rows[0][0], "5,100");
  EXPECT_EQ(*r->rows[95][0], "6,100");
  EXPECT_EQ(r->rows[42][0], warm->rows[42][0]);
  EXPECT_EQ(stat("cache_hits"), "90");
  EXPECT_EQ(stat("cache_misses"), "100");
  EXPECT_EQ(stat("cache_entries"), "100");
  engine_.flush_cache();
  EXPECT_EQ(stat("cache_entries"), "0");
  ASSERT_TRUE(run(R"(GENAI: {"type":"embed","documents":["doc 1"]})"));
  EXPECT_EQ(server.requests(), 3);
  // With the cache off (ttl 0), nothing is kept.
  configure([&](GenaiSettings& g) { g.cache_ttl_s = 0; });
  ASSERT_TRUE(run(R"(GENAI: {"type":"embed","documents":["doc 1"]})"));
  ASSERT_TRUE(run(R"(GENAI: {"type":"embed","documents":["doc 1"]})"));
  EXPECT_EQ(server.requests(), 5);
}

TEST_F(EngineTest, MicroBatchingJoinsStatementsWhileARequestIsInFlight) {
  std::atomic<int> requests{0};
  LoopbackHttpServer server([&](const HttpExchange& ex) {
    requests.fetch_add(1);
    if (ex.body.find("slow") != std::string::npos) std::this_thread::sleep_for(150ms);
    return llama_embedding(ex);
  });
  configure([&](GenaiSettings& g) {
    g.embedding_uri = server.url("/embedding");
    g.batch_window_us = 20000;
    g.batch_max_documents = 8;
    g.threads = 2;
  });
  engine_.start();
  // Nothing in flight: the first statement goes at once, alone.
  auto first = submit(R"(GENAI: {"type":"embed","documents":["slow"]})");
  while (server.requests() == 0) std::this_thread::sleep_for(1ms);
  auto a = submit(R"(GENAI: {"type":"embed","documents":["abc"]})");
  auto b = submit(R"(GENAI: {"type":"embed","documents":["z","", "yy"]})");
  auto c = submit(R"(GENAI: {"type":"embed","documents":["q"]})");
  for (auto* o : {&first, &a, &b, &c}) ASSERT_EQ(o->result.wait_for(5s), std::future_status::ready);
  auto ra = a.result.get();
  auto rb = b.result.get();
  auto rc = c.result.get();
  ASSERT_TRUE(ra && rb && rc);
  EXPECT_EQ(*ra->rows[0][0], "3,97");
  EXPECT_EQ(*rb->rows[0][0], "1,122");
  EXPECT_FALSE(rb->rows[1][0]);
  EXPECT_EQ(*rb->rows[2][0], "2,121");
  EXPECT_EQ(*rc->rows[0][0], "1,113");
  // Three statements, one upstream request.
  EXPECT_EQ(requests.load(), 2);
  EXPECT_EQ(stat("batched_statements"), "3");
  EXPECT_EQ(nlohmann::json::parse(server.last().body)["input"].size(), 4u);
  EXPECT_TRUE(first.result.get());
}

TEST_F(EngineTest, MicroBatchErrorFailsEveryStatementOfTheBatch) {
  LoopbackHttpServer server([&](const HttpExchange& ex) {
    if (ex.body.find("slow") != std::string::npos) {
      std::this_thread::sleep_for(150ms);
      return llama_embedding(ex);
    }
    return HttpAnswer{503, R"({"error":{"message":"model is loading"}})"};
  });
  configure([&](GenaiSettings& g) {
    g.embedding_uri = server.url("/embedding");
    g.batch_window_us = 20000;
  });
  engine_.start();
  auto first = submit(R"(GENAI: {"type":"embed","documents":["slow"]})");
  while (server.requests() == 0) std::this_thread::sleep_for(1ms);
  auto a = submit(R"(GENAI: {"type":"embed","documents":["a"]})");
  auto b = submit(R"(GENAI: {"type":"embed","documents":["b"]})");
  // A statement's own invalid input fails only that statement.
  auto bad = submit(R"(GENAI: {"type":"embed","documents":[1]})");
  ASSERT_EQ(bad.result.wait_for(0s), std::future_status::ready);
  expect_error(bad.result.get(), errc::kGenaiInvalidRequest, "documents[0]");
  expect_error(a.result.get(), errc::kGenaiServiceError, "model is loading");
  expect_error(b.result.get(), errc::kGenaiServiceError, "model is loading");
  EXPECT_TRUE(first.result.get());
}

TEST_F(EngineTest, HttpRerankSortsAndCuts) {
  LoopbackHttpServer server(jina_rerank);
  configure([&](GenaiSettings& g) { g.rerank_uri = server.url("/rerank"); });
  engine_.start();
  auto r = run(
      R"(GENAI: {"type":"rerank","query":"q","documents":["aa","aaaa","a"],"top_n":2,"columns":2})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->rows, (std::vector<mysql::Row>{{"1", "0.4"}, {"0", "0.2"}}));
}

TEST_F(EngineTest, BatchesRunConcurrentlyAndJoinInOrder) {
  LoopbackHttpServer server(llama_embedding);
  configure([&](GenaiSettings& g) {
    g.embedding_uri = server.url("/embedding");
    g.batch_size = 2;
  });
  engine_.start();
  auto r = run(R"(GENAI: {"type":"embed","documents":["a","bb","ccc","dddd","eeeee"]})");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->rows.size(), 5u);
  EXPECT_EQ(*r->rows[0][0], "1,97");
  EXPECT_EQ(*r->rows[3][0], "4,100");
  EXPECT_EQ(*r->rows[4][0], "5,101");
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(stat("upstream_requests"), "3");
}

TEST_F(EngineTest, HttpErrorCarriesServiceMessage) {
  LoopbackHttpServer server([](const HttpExchange&) {
    return HttpAnswer{
        500, R"({"error":{"code":500,"message":"input is too large","type":"server_error"}})"};
  });
  configure([&](GenaiSettings& g) { g.embedding_uri = server.url("/embedding"); });
  engine_.start();
  auto r = run(R"(GENAI: {"type":"embed","documents":["a"]})");
  expect_error(r, errc::kGenaiServiceError, "HTTP 500: input is too large");
  EXPECT_EQ(stat("errors_service"), "1");
}

TEST_F(EngineTest, InvalidAnswerNamesService) {
  LoopbackHttpServer server([](const HttpExchange&) { return HttpAnswer{200, "[[1,2]]"}; });
  configure([&](GenaiSettings& g) { g.embedding_uri = server.url("/embedding"); });
  engine_.start();
  auto r = run(R"(GENAI: {"type":"embed","documents":["a","b"]})");
  expect_error(r, errc::kGenaiInvalidAnswer, "invalid answer from embedding service");
  EXPECT_NE(r.error().message.find("expected 2 embeddings"), std::string::npos);
}

TEST_F(EngineTest, UnreachableNamesUriWithoutCredentials) {
  int port;
  {
    LoopbackHttpServer probe([](const HttpExchange&) { return HttpAnswer{}; });
    port = probe.port();
  }
  configure([&](GenaiSettings& g) {
    g.embedding_uri = "http://user:pw@127.0.0.1:" + std::to_string(port) + "/embedding?key=k1";
  });
  engine_.start();
  auto r = run(R"(GENAI: {"type":"embed","documents":["a"]})");
  expect_error(r, errc::kGenaiServiceUnreachable, "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(r.error().message.find("pw"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("k1"), std::string::npos) << r.error().message;
  EXPECT_EQ(stat("errors_unreachable"), "1");
}

TEST_F(EngineTest, TimeoutAgainstSilentService) {
  LoopbackHttpServer server([](const HttpExchange&) { return hang_forever(); });
  configure([&](GenaiSettings& g) {
    g.rerank_uri = server.url("/rerank");
    g.rerank_timeout_ms = 200;
  });
  engine_.start();
  auto started = std::chrono::steady_clock::now();
  auto r = run(R"(GENAI: {"type":"rerank","query":"q","documents":["a"]})");
  auto elapsed = std::chrono::steady_clock::now() - started;
  expect_error(r, errc::kGenaiServiceTimeout, "(genai-rerank_timeout_ms=200)");
  EXPECT_NE(r.error().message.find("timed out after"), std::string::npos);
  EXPECT_GE(elapsed, 190ms);
  EXPECT_LT(elapsed, 3s);
}

TEST_F(EngineTest, CancelAbortsAndAnswersOnce) {
  LoopbackHttpServer server([](const HttpExchange&) { return hang_forever(); });
  configure([&](GenaiSettings& g) { g.embedding_uri = server.url("/embedding"); });
  engine_.start();
  auto o = submit(R"(GENAI: {"type":"embed","documents":["a"]})");
  while (server.requests() == 0) std::this_thread::sleep_for(1ms);
  o.ticket->cancel();
  o.ticket->cancel();
  ASSERT_EQ(o.result.wait_for(5s), std::future_status::ready);
  expect_error(o.result.get(), errc::kGenaiCancelled, "cancelled");
  EXPECT_EQ(stat("requests_cancelled"), "1");
  EXPECT_EQ(stat("requests_in_flight"), "0");
  EXPECT_EQ(stat("upstream_in_flight"), "0");
}

TEST_F(EngineTest, QueueLimitGivesOverloaded) {
  LoopbackHttpServer server([](const HttpExchange&) { return hang_forever(); });
  configure([&](GenaiSettings& g) {
    g.embedding_uri = server.url("/embedding");
    g.max_queue = 2;
  });
  engine_.start();
  auto a = submit(R"(GENAI: {"type":"embed","documents":["a"]})");
  auto b = submit(R"(GENAI: {"type":"embed","documents":["b"]})");
  auto c = submit(R"(GENAI: {"type":"embed","documents":["c"]})");
  ASSERT_EQ(c.result.wait_for(0s), std::future_status::ready);
  expect_error(c.result.get(), errc::kGenaiOverloaded, "retry later");
  EXPECT_EQ(stat("errors_overloaded"), "1");
  a.ticket->cancel();
  ASSERT_EQ(a.result.wait_for(5s), std::future_status::ready);
  // A slot is free again.
  auto d = submit(R"(GENAI: {"type":"embed","documents":["d"]})");
  EXPECT_NE(d.result.wait_for(50ms), std::future_status::ready);
  b.ticket->cancel();
  d.ticket->cancel();
  expect_error(d.result.get(), errc::kGenaiCancelled, "cancelled");
}

TEST_F(EngineTest, StopFailsRequestsInFlight) {
  LoopbackHttpServer server([](const HttpExchange&) { return hang_forever(); });
  configure([&](GenaiSettings& g) { g.embedding_uri = server.url("/embedding"); });
  engine_.start();
  auto o = submit(R"(GENAI: {"type":"embed","documents":["a"]})");
  while (server.requests() == 0) std::this_thread::sleep_for(1ms);
  engine_.stop();
  // The failure is delivered on the statement's own executor, maybe just after stop() returns.
  ASSERT_EQ(o.result.wait_for(5s), std::future_status::ready);
  expect_error(o.result.get(), errc::kGenaiUnavailable, "unavailable");
}

TEST_F(EngineTest, ThreadCountFollowsConfigWithoutDroppingRequests) {
  LoopbackHttpServer server([](const HttpExchange& ex) {
    if (ex.body.find("slow") != std::string::npos) std::this_thread::sleep_for(300ms);
    return llama_embedding(ex);
  });
  configure([&](GenaiSettings& g) {
    g.embedding_uri = server.url("/embedding");
    g.threads = 4;
  });
  engine_.start();
  EXPECT_EQ(stat("threads_running"), "4");
  std::vector<Outcome> slow;
  for (int i = 0; i < 8; ++i)
    slow.push_back(submit(R"(GENAI: {"type":"embed","documents":["slow"]})"));
  configure([](GenaiSettings& g) { g.threads = 1; });
  for (auto& o : slow) {
    ASSERT_EQ(o.result.wait_for(5s), std::future_status::ready);
    auto r = o.result.get();
    ASSERT_TRUE(r) << r.error().message;
  }
  auto r = run(R"(GENAI: {"type":"embed","documents":["fast"]})");
  ASSERT_TRUE(r) << r.error().message;
  for (int i = 0; i < 100 && stat("threads_running") != "1"; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(stat("threads_running"), "1");
  configure([](GenaiSettings& g) { g.threads = 3; });
  EXPECT_EQ(stat("threads_running"), "3");
  ASSERT_TRUE(run(R"(GENAI: {"type":"embed","documents":["again"]})"));
}

TEST_F(EngineTest, UriChangeAppliesToNewRequests) {
  LoopbackHttpServer first(llama_embedding);
  LoopbackHttpServer second(llama_embedding);
  configure([&](GenaiSettings& g) { g.embedding_uri = first.url("/embedding"); });
  engine_.start();
  ASSERT_TRUE(run(R"(GENAI: {"type":"embed","documents":["a"]})"));
  configure([&](GenaiSettings& g) { g.embedding_uri = second.url("/embedding"); });
  ASSERT_TRUE(run(R"(GENAI: {"type":"embed","documents":["a"]})"));
  EXPECT_EQ(first.requests(), 1);
  EXPECT_EQ(second.requests(), 1);
}

TEST_F(EngineTest, DocumentFromSqlRerank) {
  configure([](GenaiSettings& g) { g.rerank_uri = "lexical:"; });
  engine_.start();
  RequestContext ctx;
  ctx.username = "app";
  std::string seen_sql;
  ctx.run_sql = [&seen_sql](std::string sql) -> asio::awaitable<Result<mysql::ResultSet>> {
    seen_sql = sql;
    mysql::ResultSet rs;
    rs.columns = {mysql::Column::text("body"), mysql::Column::bigint("id")};
    rs.rows = {{"red apples", "1"}, {"green apples and red cherries", "2"}, {"blue sky", "3"}};
    return answer_rows(std::move(rs));
  };
  auto r =
      run(R"(GENAI: {"type":"rerank","query":"red","document_from_sql":"SELECT body, id FROM t"})",
          ctx);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(seen_sql, "SELECT body, id FROM t");
  ASSERT_EQ(r->columns.size(), 3u);
  EXPECT_EQ(r->columns[2].name, "score");
  ASSERT_EQ(r->rows.size(), 3u);
  EXPECT_EQ(*r->rows[0][1], "1");
  EXPECT_EQ(*r->rows[2][1], "3");
  EXPECT_EQ(*r->rows[2][2], "0");
}

TEST_F(EngineTest, DocumentFromSqlErrorsPassThrough) {
  configure([](GenaiSettings& g) { g.embedding_uri = "lexical:"; });
  engine_.start();
  RequestContext ctx;
  ctx.run_sql = [](std::string) -> asio::awaitable<Result<mysql::ResultSet>> {
    return answer_rows(std::unexpected(Error{1146, "42S02", "Table 'db.t' doesn't exist"}));
  };
  auto r = run(R"(GENAI: {"type":"embed","document_from_sql":"SELECT x FROM t"})", ctx);
  expect_error(r, 1146, "doesn't exist");
  EXPECT_EQ(r.error().sqlstate, "42S02");
  RequestContext none;
  none.username = "nobackend";
  auto n = run(R"(GENAI: {"type":"embed","document_from_sql":"SELECT x FROM t"})", none);
  expect_error(n, errc::kGenaiInvalidRequest, "backend");
}

TEST_F(EngineTest, StatsTableShape) {
  EXPECT_EQ(metrics_.columns("stats_genai_global"),
            (std::vector<std::string>{"Variable_Name", "Variable_Value"}));
  EXPECT_EQ(stat("requests_total"), "0");
  EXPECT_EQ(stat("latency_le_inf"), "0");
}

}  // namespace
}  // namespace gp::genai
