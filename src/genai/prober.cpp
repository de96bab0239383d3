#include "genai/prober.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>

#include "core/coroutine_warnings.h"
#include "genai/discovery.h"
#include "genai/rerank_adapter.h"

namespace gp::genai {
namespace {

// A probe is small; one that takes longer than this says enough.
constexpr long kProbeTimeoutMs = 10000;
// With genai-probe_interval_ms = 0 the prober waits only for a new configuration.
constexpr auto kForever = std::chrono::hours(24 * 365);

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One endpoint of a named model and its probe.
struct Target {
  std::string model;
  const ServiceEndpoint* endpoint = nullptr;  // kept alive by the round's settings
  ProbeFormat format = ProbeFormat::kNone;
  bool embed = true;
  int dimensions = 0;
  std::shared_ptr<DiscoveryRecord> record;
  std::vector<ProbeReply> replies;
};

std::string rerank_body(const Target& t) {
  std::vector<std::string> documents{"probe"};
  return build_rerank_body("probe", documents, t.endpoint->model);
}

ProbeReply reply_of(ProbeStep step, const HttpReply& r) {
  ProbeReply out;
  out.step = step;
  if (r.code != CURLE_OK) {
    out.transport_failed = true;
    // libcurl's static text, not its message, which names the host.
    out.transport_error = curl_easy_strerror(r.code);
    return out;
  }
  out.status = r.status;
  out.body = r.body;
  return out;
}

}  // namespace

Prober::Prober(EndpointRegistry& registry, SettingsSource settings, LoopSource loops)
    : registry_(registry), settings_(std::move(settings)), loops_(std::move(loops)) {}

Prober::~Prober() {
  stop();
}

void Prober::start() {
  if (running_) return;
  running_ = true;
  io_.restart();
  stopping_ = false;
  asio::co_spawn(io_, run(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

void Prober::stop() {
  if (!running_) return;
  running_ = false;
  asio::post(io_, [this] {
    stopping_ = true;
    timer_.cancel();
    cancel_.emit(asio::cancellation_type::terminal);
  });
  // run() returns once the probe in flight is aborted; the thread then ends.
  thread_.join();
}

void Prober::probe_now() {
  asio::post(io_, [this] {
    kicked_ = true;
    timer_.cancel();
  });
}

asio::awaitable<void> Prober::run() {
  while (!stopping_) {
    kicked_ = false;
    auto settings = settings_();
    co_await probe_all(settings, ++round_);
    if (stopping_) break;
    if (kicked_) continue;
    int interval = settings_()->genai().probe_interval_ms;
    if (interval > 0) {
      timer_.expires_after(std::chrono::milliseconds(interval));
    } else {
      timer_.expires_after(kForever);
    }
    std::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> Prober::probe_all(std::shared_ptr<const EngineSettings> settings,
                                        uint64_t round) {
  // The named models only: the implicit defaults have no row to show it in.
  std::vector<Target> targets;
  for (const auto& m : settings->config->models) {
    auto it = settings->models.find(m.name);
    if (it == settings->models.end()) continue;
    for (const auto& ep : it->second->endpoints) {
      Target t;
      t.model = m.name;
      t.endpoint = &ep;
      t.format = probe_format(m.format, ep.uri);
      t.embed = it->second->embed;
      t.dimensions = m.dimensions;
      t.record = registry_.discovery(m.name, ep.uri);
      if (t.record) targets.push_back(std::move(t));
    }
  }
  if (targets.empty()) co_return;

  // Every target's first requests at once, then the llama kind requests.
  for (int phase = 0; phase < 2 && !stopping_; ++phase) {
    std::vector<HttpCall> calls;
    std::vector<std::pair<size_t, ProbeStep>> owners;
    for (size_t i = 0; i < targets.size(); ++i) {
      Target& t = targets[i];
      std::vector<ProbeRequest> requests;
      if (phase == 0) {
        requests = probe_plan(t.format, t.endpoint->uri, t.endpoint->model);
      } else if (auto kind =
                     kind_request(t.format, t.endpoint->uri, t.embed, t.replies, rerank_body(t))) {
        requests.push_back(std::move(*kind));
      }
      for (auto& r : requests) {
        HttpCall call;
        call.endpoint = t.endpoint;
        call.body = std::move(r.body);
        call.url = std::move(r.url);
        call.timeout_ms = std::min<long>(kProbeTimeoutMs, t.endpoint->timeout_ms);
        call.probe = true;
        calls.push_back(std::move(call));
        owners.emplace_back(i, r.step);
      }
    }
    if (calls.empty()) continue;
    auto loop = loops_();
    if (!loop) co_return;
    auto replies = co_await loop->async_perform(
        std::move(calls), asio::bind_cancellation_slot(cancel_.slot(), asio::use_awaitable));
    if (stopping_) co_return;
    for (size_t k = 0; k < replies.size() && k < owners.size(); ++k) {
      targets[owners[k].first].replies.push_back(reply_of(owners[k].second, replies[k]));
    }
  }
  if (stopping_) co_return;

  int64_t now = unix_now();
  for (auto& t : targets) {
    EndpointFacts facts = interpret_probe(t.format, t.replies, t.endpoint->model);
    if (t.format != ProbeFormat::kNone) facts.probed_at = now;
    if (t.endpoint->lexical) facts.detail = "the built-in lexical provider";
    std::string warning = contradiction(facts, t.embed, t.dimensions);
    std::string logged = warning;
    if (!t.record->put(round, std::move(facts), std::move(warning))) continue;
    if (!logged.empty()) {
      spdlog::warn("genai: model '{}', endpoint {}: {}", t.model, t.endpoint->display_uri, logged);
    } else {
      spdlog::info("genai: model '{}', endpoint {}: no longer contradicts the configuration",
                   t.model, t.endpoint->display_uri);
    }
  }
}

}  // namespace gp::genai
