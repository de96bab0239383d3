#include "genai/endpoint_health.h"

#include <algorithm>

#include "genai/discovery.h"

namespace gp::genai {
namespace {

constexpr auto relaxed = std::memory_order_relaxed;

int64_t ticks(EndpointHealth::Clock::time_point t) {
  return t.time_since_epoch().count();
}

}  // namespace

const char* error_class_name(ErrorClass c) {
  switch (c) {
    case ErrorClass::kTransport:
      return "transport";
    case ErrorClass::kTimeout:
      return "timeout";
    case ErrorClass::kHttp429:
      return "http_429";
    case ErrorClass::kHttp4xx:
      return "http_4xx";
    case ErrorClass::kHttp5xx:
      return "http_5xx";
    case ErrorClass::kInvalidAnswer:
      return "invalid_answer";
  }
  return "transport";
}

EndpointAvailability EndpointHealth::availability(Clock::time_point now) const {
  int64_t until = cooling_until_.load(std::memory_order_acquire);
  if (until == 0) return EndpointAvailability::kReady;
  if (ticks(now) < until || probe_in_flight_.load(std::memory_order_acquire)) {
    return EndpointAvailability::kCooling;
  }
  return EndpointAvailability::kProbe;
}

bool EndpointHealth::try_take_probe(Clock::time_point now) {
  if (availability(now) != EndpointAvailability::kProbe) return false;
  bool expected = false;
  return probe_in_flight_.compare_exchange_strong(expected, true, std::memory_order_acq_rel);
}

EndpointHealth::Clock::time_point EndpointHealth::cooling_until() const {
  return Clock::time_point(Clock::duration(cooling_until_.load(std::memory_order_acquire)));
}

void EndpointHealth::started(bool retry, bool hedge) {
  requests_.fetch_add(1, relaxed);
  in_flight_.fetch_add(1, relaxed);
  if (retry) retries_.fetch_add(1, relaxed);
  if (hedge) hedges_.fetch_add(1, relaxed);
}

bool EndpointHealth::try_start(int max_concurrency, bool retry, bool hedge) {
  if (max_concurrency > 0) {
    // Claimed with a compare-exchange so that two statements cannot both
    // take the last slot.
    int64_t now = in_flight_.load(relaxed);
    do {
      if (now >= max_concurrency) return false;
    } while (!in_flight_.compare_exchange_weak(now, now + 1, relaxed));
  } else {
    in_flight_.fetch_add(1, relaxed);
  }
  requests_.fetch_add(1, relaxed);
  if (retry) retries_.fetch_add(1, relaxed);
  if (hedge) hedges_.fetch_add(1, relaxed);
  return true;
}

void EndpointHealth::observe_latency(std::chrono::milliseconds elapsed) {
  int64_t ms = std::max<int64_t>(0, elapsed.count());
  size_t bucket = 0;
  while (bucket < kEndpointLatencyBucketsMs.size() && ms > kEndpointLatencyBucketsMs[bucket]) {
    ++bucket;
  }
  latency_buckets_[bucket].fetch_add(1, relaxed);
  latency_sum_ms_.fetch_add(static_cast<uint64_t>(ms), relaxed);
}

void EndpointHealth::invalid_answer(std::string_view why) {
  errors_.fetch_add(1, relaxed);
  note_error(ErrorClass::kInvalidAnswer, why);
}

void EndpointHealth::end(bool probe) {
  in_flight_.fetch_sub(1, relaxed);
  if (probe) probe_in_flight_.store(false, std::memory_order_release);
}

void EndpointHealth::succeeded(bool probe) {
  consecutive_failures_.store(0, relaxed);
  cooling_until_.store(0, std::memory_order_release);
  end(probe);
}

void EndpointHealth::note_error(ErrorClass cls, std::string_view why) {
  errors_by_class_[static_cast<size_t>(cls)].fetch_add(1, relaxed);
  if (why.empty()) why = error_class_name(cls);
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  std::lock_guard lock(last_error_mutex_);
  last_error_.what.assign(why);
  last_error_.unix_seconds = now;
}

EndpointHealth::LastError EndpointHealth::last_error() const {
  std::lock_guard lock(last_error_mutex_);
  return last_error_;
}

void EndpointHealth::failed(bool probe, int threshold, std::chrono::milliseconds cooldown,
                            ErrorClass cls, std::string_view why) {
  errors_.fetch_add(1, relaxed);
  note_error(cls, why);
  int64_t failures = consecutive_failures_.fetch_add(1, relaxed) + 1;
  if (probe || (threshold > 0 && failures >= threshold)) {
    cooling_until_.store(ticks(Clock::now() + cooldown), std::memory_order_release);
  }
  end(probe);
}

void EndpointHealth::refused(bool probe, ErrorClass cls, std::string_view why) {
  errors_.fetch_add(1, relaxed);
  note_error(cls, why);
  // The endpoint answered: it is up, whatever it thought of the request.
  consecutive_failures_.store(0, relaxed);
  if (probe) cooling_until_.store(0, std::memory_order_release);
  end(probe);
}

void EndpointHealth::abandoned(bool probe) {
  end(probe);
}

EndpointHealth::Counters EndpointHealth::counters() const {
  Counters c;
  c.requests = requests_.load(relaxed);
  c.errors = errors_.load(relaxed);
  c.retries = retries_.load(relaxed);
  c.hedges = hedges_.load(relaxed);
  c.in_flight = in_flight_.load(relaxed);
  c.consecutive_failures = consecutive_failures_.load(relaxed);
  for (size_t i = 0; i < kErrorClasses; ++i)
    c.errors_by_class[i] = errors_by_class_[i].load(relaxed);
  for (size_t i = 0; i < c.latency_buckets.size(); ++i) {
    c.latency_buckets[i] = latency_buckets_[i].load(relaxed);
  }
  c.latency_sum_ms = latency_sum_ms_.load(relaxed);
  return c;
}

std::shared_ptr<EndpointHealth> EndpointRegistry::get(const std::string& model,
                                                      const std::string& uri,
                                                      const std::string& display_uri) {
  std::lock_guard lock(mutex_);
  Entry& e = entries_[{model, uri}];
  if (!e.health) e.health = std::make_shared<EndpointHealth>();
  if (!e.discovery) e.discovery = std::make_shared<DiscoveryRecord>();
  e.display_uri = display_uri;
  return e.health;
}

std::shared_ptr<DiscoveryRecord> EndpointRegistry::discovery(const std::string& model,
                                                             const std::string& uri) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find({model, uri});
  return it == entries_.end() ? nullptr : it->second.discovery;
}

std::vector<EndpointRegistry::Discovered> EndpointRegistry::discoveries() const {
  std::lock_guard lock(mutex_);
  std::vector<Discovered> out;
  for (const auto& [key, entry] : entries_) {
    if (entry.discovery) out.push_back({key.first, key.second, entry.discovery});
  }
  return out;
}

void EndpointRegistry::retain(const std::set<std::pair<std::string, std::string>>& keep) {
  std::lock_guard lock(mutex_);
  std::erase_if(entries_, [&](const auto& entry) { return !keep.contains(entry.first); });
}

std::vector<EndpointStatus> EndpointRegistry::status() const {
  std::lock_guard lock(mutex_);
  std::vector<EndpointStatus> out;
  auto now = EndpointHealth::Clock::now();
  for (const auto& [key, entry] : entries_) {
    EndpointStatus s;
    s.model = key.first;
    s.uri = entry.display_uri;
    s.counters = entry.health->counters();
    s.last_error = entry.health->last_error();
    switch (entry.health->availability(now)) {
      case EndpointAvailability::kReady:
        s.state = "ready";
        break;
      case EndpointAvailability::kProbe:
        s.state = "probe_due";
        break;
      case EndpointAvailability::kCooling: {
        auto left = entry.health->cooling_until() - now;
        s.state = left.count() > 0 ? "cooling" : "probing";
        s.cooldown_remaining_ms = std::max<int64_t>(
            0, std::chrono::duration_cast<std::chrono::milliseconds>(left).count());
        break;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace gp::genai
