// The client sessions that are open, for stats_mysql_processlist,
// stats_mysql_users, SHOW PROCESSLIST and the counters Active_Transactions
// and Client_Connections_non_idle.
//
// Thread-safe. A session owns its SessionActivity and updates it under the
// activity's own lock (uncontended but for a reader); the registry's locks
// are taken only when a session opens or closes, never per statement.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/config.h"
#include "core/metrics.h"

namespace gp::frontend {

class SessionActivity {
 public:
  struct Identity {
    uint32_t id = 0;
    std::string user;
    std::string db;
    std::string client_host;
    uint16_t client_port = 0;
    std::string local_host;
    uint16_t local_port = 0;
    int hostgroup = 0;
  };

  // `peer` is "host:port" as the channel reports it.
  static Identity identity_of(uint32_t id, std::string user, std::string db, std::string_view peer,
                              std::string local_host, uint16_t local_port, int hostgroup);
  void set_identity(Identity identity);
  void set_schema(std::string_view db);
  // A statement starts (command "Query", its text as info) or ends ("Sleep").
  void start(std::string_view command, std::string_view info);
  void finish(bool in_transaction);

  struct View {
    Identity identity;
    std::string command;
    std::string info;
    int64_t time_ms = 0;
    bool in_transaction = false;
  };
  View view() const;

 private:
  mutable std::mutex mutex_;
  Identity identity_;
  std::string command_ = "Sleep";
  std::string info_;
  std::chrono::steady_clock::time_point since_ = std::chrono::steady_clock::now();
  bool in_transaction_ = false;
};

class SessionRegistry {
 public:
  void add(SessionActivity* session);
  void remove(SessionActivity* session);

  std::vector<SessionActivity::View> sessions() const;

  static std::vector<std::string> processlist_columns();
  StatsTable processlist() const;
  static std::vector<std::string> users_columns();
  StatsTable users(const RuntimeConfig& config) const;
  // Sessions inside a transaction / running a statement now.
  uint64_t active_transactions() const;
  uint64_t non_idle() const;

 private:
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_set<SessionActivity*> sessions;
  };
  Shard& shard_of(const SessionActivity* session);
  static constexpr size_t kShards = 16;
  std::array<Shard, kShards> shards_;
};

}  // namespace gp::frontend
