// What every session of one Frontend shares: configuration, the subsystems it
// calls and the front-end counters.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "admin/admin.h"
#include "backend/backend.h"
#include "core/config.h"
#include "core/snapshot_ptr.h"
#include "frontend/query_stats.h"
#include "frontend/session_registry.h"
#include "frontend/tls_material.h"
#include "genai/engine.h"

namespace gp::frontend {

struct FrontendCounters {
  std::atomic<uint64_t> client_connections_connected{0};
  std::atomic<uint64_t> client_connections_created{0};
  std::atomic<uint64_t> client_connections_aborted{0};
  std::atomic<uint64_t> client_connections_refused{0};
  std::atomic<uint64_t> questions{0};
  std::atomic<uint64_t> genai_statements{0};
  // GENAI: statements whose answer has not been written yet; shutdown waits
  // for them so that each client gets its answer (or error 9106).
  std::atomic<int64_t> genai_unanswered{0};
  std::atomic<uint64_t> admin_connections_connected{0};
  std::atomic<uint64_t> client_connections_tls{0};  // logged in over TLS, since start
  std::atomic<uint64_t> change_user{0};
  std::atomic<uint64_t> reset_connection{0};
};

struct SessionContext {
  ConfigStore& config;
  admin::Admin& admin;
  genai::Engine& engine;
  backend::BackendManager& backends;
  FrontendCounters counters;
  std::atomic<uint32_t> next_connection_id{1};
  // Certificates and keys of both interfaces; replaced by PROXYSQL RELOAD TLS.
  SnapshotPtr<const TlsMaterial> tls;

  // Reads the datadir's certificates again (generating them if missing);
  // on failure the current ones stay. New handshakes use the new ones.
  Result<void> reload_tls() {
    const auto& mysql = config.current()->mysql;
    auto material =
        load_tls_material(admin.datadir(), TlsFiles{mysql.ssl_cert, mysql.ssl_key, mysql.ssl_ca});
    if (!material) return std::unexpected(material.error());
    tls.store(std::move(*material));
    return {};
  }
  QueryStats query_stats;
  SessionRegistry sessions;

  // The version greetings announce (see BackendManager::advertised_version).
  std::string server_version(const RuntimeConfig& snapshot) const {
    return backends.advertised_version(snapshot.mysql.server_version);
  }
};

}  // namespace gp::frontend
