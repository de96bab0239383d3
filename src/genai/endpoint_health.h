// The health of each service endpoint, shared by every statement and engine
// loop: consecutive failures, cooldown (circuit breaker) and counters. One
// EndpointHealth per model and URI lives in the EngineState's
// EndpointRegistry; a configuration reload keeps the entries of endpoints that
// are still configured, so a cooldown survives LOAD ... TO RUNTIME.
// Thread-safe: atomics only, except the registry's map (a mutex, taken once
// per configuration snapshot and per status read, never per request).
#pragma once

#include <array>
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

// The class of a failed attempt, one counter each in stats_genai_endpoints.
enum class ErrorClass {
  kTransport,      // no HTTP answer: refused, reset, DNS, TLS, an answer too large
  kTimeout,        // the attempt's time ran out
  kHttp429,        // too many requests
  kHttp4xx,        // any other status 400..499
  kHttp5xx,        // status 500 and above
  kInvalidAnswer,  // a 2xx answer that is not what was asked for
};
inline constexpr size_t kErrorClasses = 6;
// The column suffix of each class: "transport", "timeout", "http_429", ...
const char* error_class_name(ErrorClass c);

// Upper bounds (ms) of the attempt latency histogram; one more bucket holds
// the rest (+Inf).
inline constexpr std::array<int64_t, 12> kEndpointLatencyBucketsMs{
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000};

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
  // Gives back a probe claimed but not sent.
  void release_probe() { probe_in_flight_.store(false, std::memory_order_release); }
  // When the cooldown ends (meaningful while availability() is kCooling).
  Clock::time_point cooling_until() const;

  // An attempt starts; every start ends with exactly one of succeeded,
  // failed, refused or abandoned. `probe`: the attempt holds the probe.
  void started(bool retry, bool hedge);
  // started() only while fewer than `max_concurrency` attempts are in
  // flight here (0: no limit); false, and nothing counted, when full.
  bool try_start(int max_concurrency, bool retry, bool hedge);
  bool has_room(int max_concurrency) const {
    return max_concurrency <= 0 || in_flight_.load(std::memory_order_relaxed) < max_concurrency;
  }
  void succeeded(bool probe);
  // A failure that says the endpoint is unwell (transport, timeout, 408, 429,
  // 5xx). `threshold` consecutive ones (0: never) start a cooldown of
  // `cooldown`; a failed probe starts a new one at once.
  // `why`, for stats_genai_endpoints: a short class of the failure ("HTTP
  // 503", a curl error name), never a URI or a service's text, which may
  // carry secrets or user data.
  void failed(bool probe, int threshold, std::chrono::milliseconds cooldown, ErrorClass cls,
              std::string_view why = {});
  // The endpoint answered, but the request was refused for itself (4xx):
  // counted, but the endpoint is not blamed.
  void refused(bool probe, ErrorClass cls, std::string_view why = {});
  // A 2xx answer (already counted by succeeded()) that turned out not to be
  // usable: wrong shape, count or dimension, degenerate vectors.
  void invalid_answer(std::string_view why);
  // The time an attempt took until its endpoint answered (or failed); not
  // called for abandoned attempts.
  void observe_latency(std::chrono::milliseconds elapsed);
  // Cancelled or lost to a hedge: no verdict about the endpoint.
  void abandoned(bool probe);

  struct Counters {
    uint64_t requests = 0;  // attempts started
    uint64_t errors = 0;    // attempts that failed or were refused
    uint64_t retries = 0;   // attempts that were retries
    uint64_t hedges = 0;    // attempts that were hedges
    int64_t in_flight = 0;
    int64_t consecutive_failures = 0;
    std::array<uint64_t, kErrorClasses> errors_by_class{};  // by ErrorClass
    // Attempts per latency bucket (not cumulative), the last one +Inf.
    std::array<uint64_t, kEndpointLatencyBucketsMs.size() + 1> latency_buckets{};
    uint64_t latency_sum_ms = 0;
  };
  Counters counters() const;

  struct LastError {
    std::string what;          // empty: none yet
    int64_t unix_seconds = 0;  // 0: none yet
  };
  LastError last_error() const;

 private:
  void end(bool probe);
  void note_error(ErrorClass cls, std::string_view why);

  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> hedges_{0};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> consecutive_failures_{0};
  std::array<std::atomic<uint64_t>, kErrorClasses> errors_by_class_{};
  std::array<std::atomic<uint64_t>, kEndpointLatencyBucketsMs.size() + 1> latency_buckets_{};
  std::atomic<uint64_t> latency_sum_ms_{0};
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
