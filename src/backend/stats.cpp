// The backend's stats tables: stats_mysql_connection_pool and
// stats_mysql_global (ProxySQL's names and columns).
#include "backend/backends.h"

namespace gp::backend {

namespace {

const std::vector<std::string> kPoolColumns = {
    "hostgroup",       "srv_host",        "srv_port",   "status",      "ConnUsed",
    "ConnFree",        "ConnOK",          "ConnERR",    "MaxConnUsed", "Queries",
    "Bytes_data_sent", "Bytes_data_recv", "Latency_us", "ConnTLS"};

std::string n(uint64_t v) {
  return std::to_string(v);
}

}  // namespace

StatsTable Backends::connection_pool_table() const {
  StatsTable t;
  t.columns = kPoolColumns;
  auto now = Clock::now();
  auto list = servers();  // keeps the list alive during the loop
  for (const auto& s : *list) {
    auto cfg = s->config();
    const auto& c = s->counters();
    t.rows.push_back({std::to_string(cfg.hostgroup_id), cfg.hostname, std::to_string(cfg.port),
                      s->status(now), n(c.conn_used.load()), n(s->idle_count()),
                      n(c.conn_ok.load()), n(c.conn_err.load()), n(c.max_conn_used.load()),
                      n(c.queries.load()), n(c.bytes_sent.load()), n(c.bytes_recv.load()),
                      n(c.latency_us.load()), n(c.conn_tls.load())});
  }
  return t;
}

StatsTable Backends::global_table() const {
  StatsTable t;
  t.columns = {"Variable_Name", "Variable_Value"};
  uint64_t connected = 0;
  uint64_t free = 0;
  auto list = servers();  // keeps the list alive during the loop
  for (const auto& s : *list) {
    connected += s->total();
    free += s->idle_count();
  }
  const auto& c = counters_;
  auto add = [&](std::string name, uint64_t v) { t.rows.push_back({std::move(name), n(v)}); };
  add("Backend_statements", c.questions.load());
  add("Backend_query_time_nsec", c.backend_query_time_nsec.load());
  add("ConnPool_get_conn_success", c.get_conn_success.load());
  add("ConnPool_get_conn_failure", c.get_conn_failure.load());
  add("ConnPool_get_conn_immediate", c.get_conn_immediate.load());
  add("Server_Connections_created", c.connections_created.load());
  add("Server_Connections_aborted", c.connections_aborted.load());
  add("Server_Connections_connected", connected);
  add("ConnPool_free_connections", free);
  add("ConnPool_connections_reset", c.connections_reset.load());
  add("Queries_backends_bytes_sent", c.bytes_sent.load());
  add("Queries_backends_bytes_recv", c.bytes_recv.load());
  add("Backend_query_timeouts", c.query_timeouts.load());
  add("Backend_connections_lost", c.backend_lost.load());
  add("Client_sessions_pinned", c.sessions_pinned.load());
  add("Backend_session_state_applies", c.state_applies.load());
  add("Backend_statement_reprepares", c.reprepares.load());
  add("ConnPool_connections_in_use", connected - std::min(connected, free));
  uint64_t created = c.connections_created.load();
  add("Backend_statements_per_connection", created ? c.questions.load() / created : 0);
  return t;
}

void Backends::register_stats(MetricsRegistry& metrics) {
  std::weak_ptr<Backends> weak = weak_from_this();
  metrics.register_table("stats_mysql_connection_pool", kPoolColumns, [weak] {
    auto self = weak.lock();
    return self ? self->connection_pool_table() : StatsTable{};
  });
  metrics.register_table("stats_mysql_global", {"Variable_Name", "Variable_Value"}, [weak] {
    auto self = weak.lock();
    return self ? self->global_table() : StatsTable{};
  });
}

}  // namespace gp::backend
