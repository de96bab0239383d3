// Sends the capability probes (genai/discovery.h) of every endpoint of the
// named models: when the engine starts, at each new configuration snapshot
// (LOAD GENAI MODELS / VARIABLES TO RUNTIME) and every
// genai-probe_interval_ms. The requests run on an engine loop's libcurl multi
// handle like statements' requests; the prober's own thread only sleeps and
// reads answers, so no admin or client thread ever waits for a probe. The
// results go to the endpoints' DiscoveryRecords in the EndpointRegistry; a
// new contradiction is logged once, naming the model and the display URI.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <thread>

#include "genai/endpoint.h"
#include "genai/engine_loop.h"

namespace gp::genai {

class Prober {
 public:
  using SettingsSource = std::function<std::shared_ptr<const EngineSettings>()>;
  // An engine loop to send through; nullptr while the engine has none.
  using LoopSource = std::function<std::shared_ptr<EngineLoop>()>;

  // `registry` outlives the prober.
  Prober(EndpointRegistry& registry, SettingsSource settings, LoopSource loops);
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  // Any thread. start(): probe now, then every interval. stop(): aborts a
  // probe in flight (its transfers too) and joins the thread; call it while
  // the engine loops still run.
  void start();
  void stop();
  // A new configuration: probe again now (no effect before start()).
  void probe_now();

 private:
  asio::awaitable<void> run();
  asio::awaitable<void> probe_all(std::shared_ptr<const EngineSettings> settings, uint64_t round);

  EndpointRegistry& registry_;
  SettingsSource settings_;
  LoopSource loops_;
  asio::io_context io_{1};
  asio::steady_timer timer_{io_};
  asio::cancellation_signal cancel_;  // the probe in flight (prober thread)
  std::thread thread_;
  bool running_ = false;  // start() and stop() only, which the engine serialises
  // Prober thread only.
  bool kicked_ = false;
  bool stopping_ = false;
  uint64_t round_ = 0;
};

}  // namespace gp::genai
