#include "genai/endpoint_health.h"

#include "genai/discovery.h"

namespace gp::genai {
namespace {

constexpr auto relaxed = std::memory_order_relaxed;

int64_t ticks(EndpointHealth::Clock::time_point t) {
  return t.time_since_epoch().count();
}

}  // namespace

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

void EndpointHealth::end(bool probe) {
  in_flight_.fetch_sub(1, relaxed);
  if (probe) probe_in_flight_.store(false, std::memory_order_release);
}

void EndpointHealth::succeeded(bool probe) {
  consecutive_failures_.store(0, relaxed);
  cooling_until_.store(0, std::memory_order_release);
  end(probe);
}

void EndpointHealth::note_error(std::string_view why) {
  if (why.empty()) return;
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
                            std::string_view why) {
  errors_.fetch_add(1, relaxed);
  note_error(why);
  int64_t failures = consecutive_failures_.fetch_add(1, relaxed) + 1;
  if (probe || (threshold > 0 && failures >= threshold)) {
    cooling_until_.store(ticks(Clock::now() + cooldown), std::memory_order_release);
  }
  end(probe);
}

void EndpointHealth::refused(bool probe, std::string_view why) {
  errors_.fetch_add(1, relaxed);
  note_error(why);
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
