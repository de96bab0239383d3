// The health of each service endpoint, shared by every statement and engine
// loop: consecutive failures, cooldown (circuit breaker) and counters. One
// EndpointHealth per model and URI lives in the EngineState's
// EndpointRegistry; a configuration reload keeps the entries of endpoints that
// are still configured, so a cooldown survives LOAD ... TO RUNTIME.
// Thread-safe: atomics only, except the registry's map (a mutex, taken once
// per configuration snapshot and per status read, never per request).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace gp::genai {

class DiscoveryRecord;  // genai/discovery.h

// Whether an endpoint may take a request now.
enum class EndpointAvailability {
  kReady,    // not cooling down
  kProbe,    // cooldown over: one probe request may go (try_take_probe)
  kCooling,  // skipped until the cooldown ends, or a probe is already in flight
};

class EndpointHealth {
 public:
  using Clock = std::chrono::steady_clock;

  EndpointAvailability availability(Clock::time_point now) const;
  // Claims the single probe of an endpoint whose cooldown is over; false when
  // another request claimed it first.
  bool try_take_probe(Clock::time_point now);
  // When the cooldown ends (meaningful while availability() is kCooling).
  Clock::time_point cooling_until() const;

  // An attempt starts; every start ends with exactly one of succeeded,
  // failed or abandoned. `probe`: the attempt holds the probe.
  void started(bool retry, bool hedge);
  void succeeded(bool probe);
  // A failure that says the endpoint is unwell (transport, timeout, 408, 429,
  // 5xx). `threshold` consecutive ones (0: never) start a cooldown of
  // `cooldown`; a failed probe starts a new one at once.
  // `why`, for stats_genai_endpoints: a short class of the failure ("HTTP
  // 503", a curl error name), never a URI or a service's text, which may
  // carry secrets or user data.
  void failed(bool probe, int threshold, std::chrono::milliseconds cooldown,
              std::string_view why = {});
  // The endpoint answered, but the request was refused for itself (4xx,
  // an invalid answer): counted, but the endpoint is not blamed.
  void refused(bool probe, std::string_view why = {});
  // Cancelled or lost to a hedge: no verdict about the endpoint.
  void abandoned(bool probe);

  struct Counters {
    uint64_t requests = 0;  // attempts started
    uint64_t errors = 0;    // attempts that failed or were refused
    uint64_t retries = 0;   // attempts that were retries
    uint64_t hedges = 0;    // attempts that were hedges
    int64_t in_flight = 0;
    int64_t consecutive_failures = 0;
  };
  Counters counters() const;

  struct LastError {
    std::string what;          // empty: none yet
    int64_t unix_seconds = 0;  // 0: none yet
  };
  LastError last_error() const;

 private:
  void end(bool probe);
  void note_error(std::string_view why);

  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> hedges_{0};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> consecutive_failures_{0};
  // Clock ticks; 0: not cooling down.
  std::atomic<int64_t> cooling_until_{0};
  std::atomic<bool> probe_in_flight_{false};
  // Only failures take it, never a good answer.
  mutable std::mutex last_error_mutex_;
  LastError last_error_;
};

// One row of what stats_genai_endpoints will show: an endpoint's identity,
// state and counters at the time of the read.
struct EndpointStatus {
  std::string model;
  std::string uri;  // display form: no credentials or query string
  std::string
      state;  // "ready", "cooling", "probe_due" (cooldown over), "probing" (probe in flight)
  int64_t cooldown_remaining_ms = 0;
  EndpointHealth::Counters counters;
  EndpointHealth::LastError last_error;
};

class EndpointRegistry {
 public:
  // The entry of `model` and `uri`, created on first use.
  std::shared_ptr<EndpointHealth> get(const std::string& model, const std::string& uri,
                                      const std::string& display_uri);
  // Drops the entries not in `keep` (pairs of model and uri) after a
  // configuration change; statements in flight keep theirs alive.
  void retain(const std::set<std::pair<std::string, std::string>>& keep);
  // Every endpoint, by model then URI.
  std::vector<EndpointStatus> status() const;

  // What the probes of `model` and `uri` found (created with the entry;
  // nullptr for an endpoint not configured).
  std::shared_ptr<DiscoveryRecord> discovery(const std::string& model,
                                             const std::string& uri) const;
  struct Discovered {
    std::string model;
    std::string uri;  // as configured: the key runtime_genai_endpoints has
    std::shared_ptr<const DiscoveryRecord> record;
  };
  // Every endpoint's record, by model then URI.
  std::vector<Discovered> discoveries() const;

 private:
  struct Entry {
    std::string display_uri;
    std::shared_ptr<EndpointHealth> health;
    std::shared_ptr<DiscoveryRecord> discovery;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Entry> entries_;
};

}  // namespace gp::genai
