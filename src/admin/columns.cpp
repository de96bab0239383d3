#include "admin/columns.h"

namespace gp::admin {

namespace {

constexpr int64_t kIntMax = 2147483647;

std::vector<std::string> names_of(const std::vector<Column>& columns) {
  std::vector<std::string> names;
  for (const auto& c : columns) names.emplace_back(c.name);
  return names;
}

}  // namespace

// The columns follow ProxySQL's names, types and keys so that its
// documentation and habits apply.
const std::vector<Column>& mysql_users_table() {
  static const std::vector<Column> columns = {
      {"username", "VARCHAR NOT NULL", false, 0, 0, true},
      {"password", "VARCHAR"},
      {"active", "INT CHECK (active IN (0,1)) NOT NULL DEFAULT 1", true, 0, 1},
      {"use_ssl", "INT CHECK (use_ssl IN (0,1)) NOT NULL DEFAULT 0", true, 0, 1},
      {"default_hostgroup", "INT NOT NULL DEFAULT 0", true, 0, kIntMax},
      {"default_schema", "VARCHAR"},
      {"schema_locked", "INT CHECK (schema_locked IN (0,1)) NOT NULL DEFAULT 0", true, 0, 1},
      {"transaction_persistent", "INT CHECK (transaction_persistent IN (0,1)) NOT NULL DEFAULT 1",
       true, 0, 1},
      {"fast_forward", "INT CHECK (fast_forward IN (0,1)) NOT NULL DEFAULT 0", true, 0, 1},
      {"backend", "INT CHECK (backend IN (0,1)) NOT NULL DEFAULT 1", true, 0, 1},
      {"frontend", "INT CHECK (frontend IN (0,1)) NOT NULL DEFAULT 1", true, 0, 1},
      {"max_connections", "INT CHECK (max_connections >= 0) NOT NULL DEFAULT 10000", true, 0,
       kIntMax},
      {"attributes",
       "VARCHAR CHECK (JSON_VALID(attributes) OR attributes = '') NOT NULL DEFAULT ''"},
      {"comment", "VARCHAR NOT NULL DEFAULT ''"},
  };
  return columns;
}

const std::vector<Column>& mysql_servers_table() {
  static const std::vector<Column> columns = {
      {"hostgroup_id",
       "INT CHECK (hostgroup_id >= 0) NOT NULL DEFAULT 0",
       true,
       0,
       kIntMax,
       false,
       {},
       "hostgroup"},
      {"hostname", "VARCHAR NOT NULL", false, 0, 0, true, {}, "address"},
      {"port", "INT CHECK (port >= 0 AND port <= 65535) NOT NULL DEFAULT 3306", true, 0, 65535},
      {"gtid_port",
       "INT CHECK ((gtid_port <> port OR gtid_port = 0) AND gtid_port >= 0 AND "
       "gtid_port <= 65535) NOT NULL DEFAULT 0",
       true, 0, 65535},
      {"status",
       "VARCHAR CHECK (UPPER(status) IN ('ONLINE','SHUNNED','OFFLINE_SOFT','OFFLINE_HARD')) "
       "NOT NULL DEFAULT 'ONLINE'",
       false,
       0,
       0,
       false,
       {"ONLINE", "SHUNNED", "OFFLINE_SOFT", "OFFLINE_HARD"}},
      {"weight", "INT CHECK (weight >= 0 AND weight <= 10000000) NOT NULL DEFAULT 1", true, 0,
       10000000},
      {"compression", "INT CHECK (compression >= 0 AND compression <= 102400) NOT NULL DEFAULT 0",
       true, 0, 102400},
      {"max_connections", "INT CHECK (max_connections >= 0) NOT NULL DEFAULT 1000", true, 0,
       kIntMax},
      {"max_replication_lag",
       "INT CHECK (max_replication_lag >= 0 AND max_replication_lag <= 126144000) NOT NULL "
       "DEFAULT 0",
       true, 0, 126144000},
      {"use_ssl", "INT CHECK (use_ssl IN (0,1)) NOT NULL DEFAULT 0", true, 0, 1},
      {"max_latency_ms", "INT UNSIGNED CHECK (max_latency_ms >= 0) NOT NULL DEFAULT 0", true, 0,
       kIntMax},
      {"comment", "VARCHAR NOT NULL DEFAULT ''"},
  };
  return columns;
}

const std::vector<std::string>& mysql_users_columns() {
  static const std::vector<std::string> names = names_of(mysql_users_table());
  return names;
}

const std::vector<std::string>& mysql_servers_columns() {
  static const std::vector<std::string> names = names_of(mysql_servers_table());
  return names;
}

}  // namespace gp::admin
