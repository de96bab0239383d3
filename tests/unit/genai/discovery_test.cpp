// Capability discovery's pure parts: which probes an endpoint gets, the
// readers of each service's answer, the verdict of a probe and the
// contradictions with the configuration. Answers are in the shapes the real
// services send (llama-server as observed, TEI /info, Ollama /api/show,
// OpenAI and vLLM /v1/models).
#include "genai/discovery.h"

#include <gtest/gtest.h>

namespace gp::genai {
namespace {

constexpr const char* kLlamaProps =
    R"({"default_generation_settings":{"params":{"seed":4294967295,"n_predict":-1},"n_ctx":128},)"
    R"("total_slots":4,"model_alias":"tiny-embed.gguf","model_path":"/m/tiny-embed.gguf",)"
    R"("endpoint_slots":true,"build_info":"b1-80fb11a","is_sleeping":false})";

constexpr const char* kLlamaModels =
    R"({"models":[{"name":"/m/tiny-embed.gguf","model":"/m/tiny-embed.gguf"}],"object":"list",)"
    R"("data":[{"id":"/m/tiny-embed.gguf","aliases":["/m/tiny-embed.gguf"],"object":"model",)"
    R"("owned_by":"llamacpp","meta":{"vocab_type":true,"n_vocab":234,"n_ctx":128,)"
    R"("n_ctx_train":512,"n_embd":32,"n_params":28800}}]})";

constexpr const char* kTeiEmbedInfo =
    R"({"model_id":"BAAI/bge-large-en-v1.5","model_sha":null,"model_dtype":"float32",)"
    R"("model_type":{"embedding":{"pooling":"cls"}},"max_concurrent_requests":512,)"
    R"("max_input_length":512,"max_batch_tokens":16384,"max_batch_requests":4,)"
    R"("max_client_batch_size":32,"auto_truncate":false,"version":"1.4.0"})";

constexpr const char* kTeiRerankInfo =
    R"({"model_id":"BAAI/bge-reranker-v2-m3","model_type":{"reranker":{"id2label":{"0":"LABEL_0"},)"
    R"("label2id":{"LABEL_0":0}}},"max_input_length":8192,"max_batch_tokens":16384,)"
    R"("max_client_batch_size":32})";

constexpr const char* kOllamaShow =
    R"({"modelfile":"FROM x","parameters":"","details":{"family":"nomic-bert"},)"
    R"("model_info":{"general.architecture":"nomic-bert","general.parameter_count":136727040,)"
    R"("nomic-bert.attention.head_count":12,"nomic-bert.context_length":2048,)"
    R"("nomic-bert.embedding_length":768,"nomic-bert.block_count":12},)"
    R"("capabilities":["embedding"]})";

ProbeReply ok(ProbeStep step, std::string body) {
  return {step, false, "", 200, std::move(body)};
}

ProbeReply status(ProbeStep step, long code, std::string body = "{}") {
  return {step, false, "", code, std::move(body)};
}

ProbeReply refused(ProbeStep step) {
  return {step, true, "Couldn't connect to server", 0, ""};
}

TEST(ProbeFormat, FollowsTheModelsFormatOrTheUri) {
  EXPECT_EQ(probe_format("llama", "http://h:8080/embedding"), ProbeFormat::kLlama);
  EXPECT_EQ(probe_format("tei", "http://h/whatever"), ProbeFormat::kTei);
  EXPECT_EQ(probe_format("ollama", "http://h:11434/api/embed"), ProbeFormat::kOllama);
  EXPECT_EQ(probe_format("openai", "https://api.openai.com/v1/embeddings"), ProbeFormat::kOpenai);
  EXPECT_EQ(probe_format("vllm", "http://h/v1/rerank"), ProbeFormat::kOpenai);
  EXPECT_EQ(probe_format("cohere", "https://api.cohere.com/v2/rerank"), ProbeFormat::kNone);
  EXPECT_EQ(probe_format("jina", "https://api.jina.ai/v1/rerank"), ProbeFormat::kNone);
  EXPECT_EQ(probe_format("auto", "lexical:"), ProbeFormat::kNone);
  EXPECT_EQ(probe_format("llama", "LEXICAL:"), ProbeFormat::kNone);
  // auto: as the request path reads the URI.
  EXPECT_EQ(probe_format("auto", "http://h:11434/api/embed"), ProbeFormat::kOllama);
  EXPECT_EQ(probe_format("auto", "http://h:8080/embed"), ProbeFormat::kTei);
  EXPECT_EQ(probe_format("auto", "http://h:8080/v1/embeddings"), ProbeFormat::kLlama);
  EXPECT_EQ(probe_format("auto", "http://h:8080/rerank"), ProbeFormat::kLlama);
}

TEST(ProbeUrl, ReplacesTheRequestPathKeepingPrefixAndQuery) {
  EXPECT_EQ(probe_url("http://h:8080/embedding", "/props"), "http://h:8080/props");
  EXPECT_EQ(probe_url("http://h:8080/v1/embeddings", "/v1/models"), "http://h:8080/v1/models");
  EXPECT_EQ(probe_url("https://api.openai.com/v1/embeddings", "/v1/models"),
            "https://api.openai.com/v1/models");
  EXPECT_EQ(probe_url("http://gw/llama/rerank?key=1", "/health"), "http://gw/llama/health?key=1");
  EXPECT_EQ(probe_url("http://h:11434/api/embed", "/api/show"), "http://h:11434/api/show");
  EXPECT_EQ(probe_url("http://h:8080/embed/", "/info"), "http://h:8080/info");
  EXPECT_EQ(probe_url("http://h:8080", "/health"), "http://h:8080/health");
  EXPECT_EQ(probe_url("http://h:8080/custom/path", "/health"), "http://h:8080/health");
}

TEST(ProbePlan, HasTheRequestsOfEachFormat) {
  auto llama = probe_plan(ProbeFormat::kLlama, "http://h/embedding", "m");
  ASSERT_EQ(llama.size(), 3u);
  EXPECT_EQ(llama[0].url, "http://h/health");
  EXPECT_EQ(llama[1].url, "http://h/props");
  EXPECT_EQ(llama[2].url, "http://h/v1/models");
  for (const auto& r : llama) EXPECT_TRUE(r.body.empty());  // GET
  auto tei = probe_plan(ProbeFormat::kTei, "http://h/embed", "");
  ASSERT_EQ(tei.size(), 1u);
  EXPECT_EQ(tei[0].url, "http://h/info");
  auto ollama = probe_plan(ProbeFormat::kOllama, "http://h/api/embed", "nomic-embed-text");
  ASSERT_EQ(ollama.size(), 1u);
  EXPECT_EQ(ollama[0].url, "http://h/api/show");
  EXPECT_NE(ollama[0].body.find(R"("model":"nomic-embed-text")"), std::string::npos);
  auto openai = probe_plan(ProbeFormat::kOpenai, "https://x/v1/embeddings", "m");
  ASSERT_EQ(openai.size(), 1u);
  EXPECT_EQ(openai[0].url, "https://x/v1/models");
  EXPECT_TRUE(probe_plan(ProbeFormat::kNone, "https://api.cohere.com/v2/rerank", "").empty());
}

TEST(KindRequest, OnlyForALlamaServerWhosePropsAnswered) {
  std::vector<ProbeReply> props_ok = {ok(ProbeStep::kProps, kLlamaProps)};
  // An embed model's server is asked at its /rerank; a rerank model's at its own URI.
  auto e = kind_request(ProbeFormat::kLlama, "http://h/v1/embeddings", true, props_ok, "{}");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->url, "http://h/rerank");
  EXPECT_EQ(e->step, ProbeStep::kKind);
  EXPECT_EQ(e->body, "{}");
  auto r = kind_request(ProbeFormat::kLlama, "http://h/v1/rerank", false, props_ok, "{}");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->url, "http://h/v1/rerank");
  // An OpenAI-style service under `auto` has no /props: it is never sent an inference.
  std::vector<ProbeReply> props_missing = {status(ProbeStep::kProps, 404)};
  EXPECT_FALSE(
      kind_request(ProbeFormat::kLlama, "http://h/v1/embeddings", true, props_missing, "{}"));
  EXPECT_FALSE(kind_request(ProbeFormat::kTei, "http://h/embed", true, props_ok, "{}"));
}

TEST(Readers, LlamaPropsGiveContextAndSlots) {
  EndpointFacts f;
  ASSERT_TRUE(read_llama_props(kLlamaProps, f));
  EXPECT_EQ(f.context_size, 128);
  EXPECT_EQ(f.slots, 4);
  EXPECT_EQ(f.model_id, "tiny-embed.gguf");
  EXPECT_TRUE(f.kind.empty());  // this build does not publish its pooling
  EndpointFacts ranked;
  ASSERT_TRUE(read_llama_props(R"({"total_slots":1,"pooling":"rank"})", ranked));
  EXPECT_EQ(ranked.kind, "rerank");
  EXPECT_FALSE(read_llama_props("not json", f));
}

TEST(Readers, ModelsListGivesDimensionAndContext) {
  EndpointFacts f;
  ASSERT_TRUE(read_models_list(kLlamaModels, "", f));
  EXPECT_EQ(f.model_id, "/m/tiny-embed.gguf");
  EXPECT_EQ(f.dimension, 32);
  EXPECT_EQ(f.context_size, 128);  // the context it runs with, not n_ctx_train
  // vLLM: the served model among several, max_model_len.
  EndpointFacts v;
  ASSERT_TRUE(read_models_list(R"({"object":"list","data":[{"id":"other","max_model_len":4096},)"
                               R"({"id":"BAAI/bge-m3","object":"model","max_model_len":8192}]})",
                               "BAAI/bge-m3", v));
  EXPECT_EQ(v.model_id, "BAAI/bge-m3");
  EXPECT_EQ(v.context_size, 8192);
  EXPECT_EQ(v.dimension, 0);
  // OpenAI: many models, the configured one absent.
  EndpointFacts o;
  ASSERT_TRUE(read_models_list(R"({"data":[{"id":"gpt-4o"},{"id":"text-embedding-3-large"}]})",
                               "text-embedding-3-small", o));
  EXPECT_TRUE(o.model_id.empty());
  EXPECT_NE(o.detail.find("text-embedding-3-small"), std::string::npos);
}

TEST(Readers, TeiInfoGivesKindAndLimits) {
  EndpointFacts f;
  ASSERT_TRUE(read_tei_info(kTeiEmbedInfo, f));
  EXPECT_EQ(f.model_id, "BAAI/bge-large-en-v1.5");
  EXPECT_EQ(f.kind, "embed");
  EXPECT_EQ(f.context_size, 512);
  EXPECT_EQ(f.batch_tokens, 16384);
  EXPECT_EQ(f.batch_documents, 32);
  EndpointFacts r;
  ASSERT_TRUE(read_tei_info(kTeiRerankInfo, r));
  EXPECT_EQ(r.kind, "rerank");
  EXPECT_EQ(r.context_size, 8192);
  EndpointFacts c;
  ASSERT_TRUE(read_tei_info(R"({"model_id":"x","model_type":{"classifier":{}}})", c));
  EXPECT_EQ(c.kind, "classifier");
}

TEST(Readers, OllamaShowGivesTheArchitecturesLengths) {
  EndpointFacts f;
  ASSERT_TRUE(read_ollama_show(kOllamaShow, f));
  EXPECT_EQ(f.dimension, 768);
  EXPECT_EQ(f.context_size, 2048);
  EXPECT_EQ(f.kind, "embed");
  EndpointFacts chat;
  ASSERT_TRUE(read_ollama_show(
      R"({"model_info":{"general.architecture":"llama","llama.embedding_length":4096,)"
      R"("llama.context_length":131072},"capabilities":["completion","tools"]})",
      chat));
  EXPECT_EQ(chat.dimension, 4096);
  EXPECT_EQ(chat.kind, "completion");
}

constexpr const char* kNoReranking =
    R"({"error":{"code":501,"message":"This server does not support reranking. Start it with)"
    R"( `--reranking`","type":"not_supported_error"}})";

TEST(Interpret, LlamaServerAllAnswered) {
  std::vector<ProbeReply> replies = {
      ok(ProbeStep::kHealth, R"({"status":"ok"})"), ok(ProbeStep::kProps, kLlamaProps),
      ok(ProbeStep::kModels, kLlamaModels), status(ProbeStep::kKind, 501, kNoReranking)};
  auto f = interpret_probe(ProbeFormat::kLlama, replies, "");
  EXPECT_EQ(f.state, "ok");
  EXPECT_EQ(f.dimension, 32);
  EXPECT_EQ(f.context_size, 128);
  EXPECT_EQ(f.slots, 4);
  EXPECT_EQ(f.kind, "embed");
  EXPECT_EQ(contradiction(f, true, 32), "");
  EXPECT_NE(contradiction(f, false, 0).find("serves an embedding model"), std::string::npos);
}

TEST(Interpret, AServerThatReranksIsAReranker) {
  std::vector<ProbeReply> replies = {
      ok(ProbeStep::kHealth, R"({"status":"ok"})"), ok(ProbeStep::kProps, kLlamaProps),
      ok(ProbeStep::kKind, R"({"results":[{"index":0,"relevance_score":1.13}]})")};
  auto f = interpret_probe(ProbeFormat::kLlama, replies, "");
  EXPECT_EQ(f.state, "ok");
  EXPECT_EQ(f.kind, "rerank");
  EXPECT_EQ(contradiction(f, true, 0),
            "the endpoint serves a rerank model, but the model's kind is 'embed'");
  EXPECT_EQ(contradiction(f, false, 0), "");
}

TEST(Interpret, AnUnclearKindAnswerSaysNothing) {
  std::vector<ProbeReply> replies = {ok(ProbeStep::kProps, kLlamaProps),
                                     status(ProbeStep::kKind, 500, "{}")};
  auto f = interpret_probe(ProbeFormat::kLlama, replies, "");
  EXPECT_EQ(f.state, "ok");
  EXPECT_TRUE(f.kind.empty());
}

TEST(Interpret, LoadingModel) {
  std::string loading =
      R"({"error":{"code":503,"message":"Loading model","type":"unavailable_error"}})";
  EXPECT_TRUE(is_loading_answer(503, loading));
  EXPECT_FALSE(is_loading_answer(503, R"({"error":{"message":"busy"}})"));
  EXPECT_FALSE(is_loading_answer(500, loading));
  std::vector<ProbeReply> replies = {status(ProbeStep::kHealth, 503, loading),
                                     status(ProbeStep::kProps, 503, loading),
                                     status(ProbeStep::kModels, 503, loading)};
  auto f = interpret_probe(ProbeFormat::kLlama, replies, "");
  EXPECT_EQ(f.state, "loading");
}

TEST(Interpret, UnreachableErrorAndNothingToProbe) {
  std::vector<ProbeReply> down = {refused(ProbeStep::kHealth), refused(ProbeStep::kProps),
                                  refused(ProbeStep::kModels)};
  auto f = interpret_probe(ProbeFormat::kLlama, down, "");
  EXPECT_EQ(f.state, "unreachable");
  EXPECT_NE(f.detail.find("Couldn't connect"), std::string::npos);

  std::vector<ProbeReply> key = {ok(ProbeStep::kHealth, R"({"status":"ok"})"),
                                 status(ProbeStep::kProps, 401), status(ProbeStep::kModels, 401)};
  auto k = interpret_probe(ProbeFormat::kLlama, key, "");
  EXPECT_EQ(k.state, "error");
  EXPECT_NE(k.detail.find("HTTP 401 from /props (the credential is refused)"), std::string::npos);

  // An OpenAI-style service under `auto`: only /v1/models exists.
  std::vector<ProbeReply> openai = {status(ProbeStep::kHealth, 404), status(ProbeStep::kProps, 404),
                                    ok(ProbeStep::kModels, R"({"data":[{"id":"m"}]})")};
  auto o = interpret_probe(ProbeFormat::kLlama, openai, "m");
  EXPECT_EQ(o.state, "ok");
  EXPECT_EQ(o.model_id, "m");

  std::vector<ProbeReply> missing = {status(ProbeStep::kTeiInfo, 404)};
  EXPECT_EQ(interpret_probe(ProbeFormat::kTei, missing, "").state, "error");

  std::vector<ProbeReply> garbage = {ok(ProbeStep::kTeiInfo, "<html>")};
  auto g = interpret_probe(ProbeFormat::kTei, garbage, "");
  EXPECT_EQ(g.state, "error");
  EXPECT_NE(g.detail.find("/info"), std::string::npos);

  auto none = interpret_probe(ProbeFormat::kNone, {}, "");
  EXPECT_EQ(none.state, "not_probed");
  EXPECT_FALSE(none.detail.empty());
}

TEST(Interpret, OllamaModelNotPulledIsAnError) {
  std::vector<ProbeReply> replies = {
      status(ProbeStep::kOllamaShow, 404, R"({"error":"model 'x' not found"})")};
  auto f = interpret_probe(ProbeFormat::kOllama, replies, "x");
  EXPECT_EQ(f.state, "error");
  EXPECT_NE(f.detail.find("HTTP 404 from /api/show"), std::string::npos);
  std::vector<ProbeReply> good = {ok(ProbeStep::kOllamaShow, kOllamaShow)};
  auto g = interpret_probe(ProbeFormat::kOllama, good, "nomic-embed-text");
  EXPECT_EQ(g.state, "ok");
  EXPECT_EQ(g.model_id, "nomic-embed-text");
  EXPECT_EQ(g.dimension, 768);
}

TEST(Contradiction, DimensionAndKind) {
  EndpointFacts f;
  f.dimension = 768;
  f.kind = "embed";
  EXPECT_EQ(contradiction(f, true, 0), "");    // dimensions not configured
  EXPECT_EQ(contradiction(f, true, 768), "");  // agrees
  EXPECT_EQ(contradiction(f, true, 1024),
            "the endpoint reports dimension 768, but genai_models.dimensions is 1024");
  f.kind = "rerank";
  EXPECT_EQ(contradiction(f, true, 1024),
            "the endpoint serves a rerank model, but the model's kind is 'embed'; the endpoint "
            "reports dimension 768, but genai_models.dimensions is 1024");
  EXPECT_EQ(contradiction(f, false, 1024), "");  // a rerank model has no dimension
  f.kind = "classifier";
  EXPECT_NE(contradiction(f, false, 0).find("a classifier model"), std::string::npos);
}

TEST(DiscoveryRecord, KeepsTheNewestRoundAndSaysWhenTheWarningChanges) {
  DiscoveryRecord record;
  EndpointFacts f;
  f.state = "ok";
  EXPECT_FALSE(record.put(1, f, ""));  // no warning before, none now
  EXPECT_TRUE(record.put(2, f, "dimension"));
  EXPECT_FALSE(record.put(3, f, "dimension"));  // the same: logged once
  f.state = "error";
  EXPECT_FALSE(record.put(2, f, ""));  // an older round is dropped
  EXPECT_EQ(record.get().facts.state, "ok");
  EXPECT_EQ(record.get().warning, "dimension");
  EXPECT_TRUE(record.put(4, f, ""));
  EXPECT_EQ(record.get().facts.state, "error");
}

}  // namespace
}  // namespace gp::genai
