#include "frontend/session_registry.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>

namespace gp::frontend {

SessionActivity::Identity SessionActivity::identity_of(uint32_t id, std::string user,
                                                       std::string db, std::string_view peer,
                                                       std::string local_host, uint16_t local_port,
                                                       int hostgroup) {
  Identity identity;
  identity.id = id;
  identity.user = std::move(user);
  identity.db = std::move(db);
  auto colon = peer.rfind(':');
  identity.client_host =
      std::string(colon == std::string_view::npos ? peer : peer.substr(0, colon));
  if (colon != std::string_view::npos) {
    identity.client_port =
        static_cast<uint16_t>(std::atoi(std::string(peer.substr(colon + 1)).c_str()));
  }
  identity.local_host = std::move(local_host);
  identity.local_port = local_port;
  identity.hostgroup = hostgroup;
  return identity;
}

void SessionActivity::set_identity(Identity identity) {
  std::lock_guard lock(mutex_);
  identity_ = std::move(identity);
}

void SessionActivity::set_schema(std::string_view db) {
  std::lock_guard lock(mutex_);
  identity_.db.assign(db);
}

void SessionActivity::start(std::string_view command, std::string_view info) {
  std::lock_guard lock(mutex_);
  command_.assign(command);
  info_.assign(info);  // reuses the buffer: no allocation for a statement no longer than the last
  since_ = std::chrono::steady_clock::now();
}

void SessionActivity::finish(bool in_transaction) {
  std::lock_guard lock(mutex_);
  command_.assign("Sleep");
  info_.clear();
  since_ = std::chrono::steady_clock::now();
  in_transaction_ = in_transaction;
}

SessionActivity::View SessionActivity::view() const {
  std::lock_guard lock(mutex_);
  auto elapsed = std::chrono::steady_clock::now() - since_;
  return {identity_, command_, info_,
          std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), in_transaction_};
}

SessionRegistry::Shard& SessionRegistry::shard_of(const SessionActivity* session) {
  return shards_[std::hash<const void*>{}(session) % kShards];
}

void SessionRegistry::add(SessionActivity* session) {
  Shard& shard = shard_of(session);
  std::lock_guard lock(shard.mutex);
  shard.sessions.insert(session);
}

void SessionRegistry::remove(SessionActivity* session) {
  Shard& shard = shard_of(session);
  std::lock_guard lock(shard.mutex);
  shard.sessions.erase(session);
}

std::vector<SessionActivity::View> SessionRegistry::sessions() const {
  std::vector<SessionActivity::View> out;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (auto* s : shard.sessions) out.push_back(s->view());
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.identity.id < b.identity.id; });
  return out;
}

std::vector<std::string> SessionRegistry::processlist_columns() {
  return {"ThreadID",  "SessionID",  "user",         "db",           "cli_host", "cli_port",
          "hostgroup", "l_srv_host", "l_srv_port",   "srv_host",     "srv_port", "command",
          "time_ms",   "info",       "status_flags", "extended_info"};
}

StatsTable SessionRegistry::processlist() const {
  StatsTable t;
  t.columns = processlist_columns();
  for (auto& s : sessions()) {
    auto& i = s.identity;
    t.rows.push_back({"0", std::to_string(i.id), i.user, i.db, i.client_host,
                      std::to_string(i.client_port), std::to_string(i.hostgroup), i.local_host,
                      std::to_string(i.local_port), std::string(), std::string(), s.command,
                      std::to_string(s.time_ms), s.info, s.in_transaction ? "1" : "0",
                      std::string()});
  }
  return t;
}

std::vector<std::string> SessionRegistry::users_columns() {
  return {"username", "frontend_connections", "frontend_max_connections"};
}

StatsTable SessionRegistry::users(const RuntimeConfig& config) const {
  std::map<std::string, uint64_t> connected;
  for (auto& s : sessions()) connected[s.identity.user] += 1;
  StatsTable t;
  t.columns = users_columns();
  for (auto& u : config.users) {
    if (!u.frontend) continue;
    t.rows.push_back(
        {u.username, std::to_string(connected[u.username]), std::to_string(u.max_connections)});
  }
  return t;
}

uint64_t SessionRegistry::active_transactions() const {
  uint64_t n = 0;
  for (auto& s : sessions()) n += s.in_transaction ? 1 : 0;
  return n;
}

uint64_t SessionRegistry::non_idle() const {
  uint64_t n = 0;
  for (auto& s : sessions()) n += s.command != "Sleep" ? 1 : 0;
  return n;
}

}  // namespace gp::frontend
