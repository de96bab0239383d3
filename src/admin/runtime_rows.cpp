#include "admin/runtime_rows.h"

#include <algorithm>
#include <set>
#include <string>

#include "admin/schema.h"
#include "admin/variables.h"
#include "fmt/format.h"

namespace gp::admin {

namespace {

// Reads columns by name so that the order of the table is stated once.
class RowReader {
 public:
  RowReader(const std::vector<std::string>& columns, const TextRow& row)
      : columns_(columns), row_(row) {}

  std::string text(std::string_view column) const { return value(column).value_or(""); }

  Result<int> integer(std::string_view column) const {
    auto v = value(column);
    auto n = v ? parse_int(*v) : std::nullopt;
    if (!n || *n < 0 || *n > 2147483647) {
      return make_error(
          errc::kUnknownError,
          fmt::format("{} must be a non-negative integer, not '{}'", column, v.value_or("NULL")));
    }
    return static_cast<int>(*n);
  }

 private:
  SqlText value(std::string_view column) const {
    auto it = std::find(columns_.begin(), columns_.end(), column);
    size_t i = static_cast<size_t>(it - columns_.begin());
    return i < row_.size() ? row_[i] : std::nullopt;
  }
  const std::vector<std::string>& columns_;
  const TextRow& row_;
};

SqlText num(int64_t n) {
  return std::to_string(n);
}

}  // namespace

Result<std::vector<MysqlUser>> users_from_rows(const std::vector<TextRow>& rows) {
  std::vector<std::pair<int, MysqlUser>> found;  // frontend flag, user
  for (auto& row : rows) {
    RowReader r(mysql_users_columns(), row);
    MysqlUser u;
    u.username = r.text("username");
    auto where = [&](const Error& e) {
      return make_error(errc::kUnknownError,
                        fmt::format("mysql_users row '{}': {}", u.username, e.message));
    };
    if (u.username.empty()) {
      return make_error(errc::kUnknownError, "mysql_users: empty username");
    }
    u.password = r.text("password");
    auto active = r.integer("active");
    auto hostgroup = r.integer("default_hostgroup");
    auto persistent = r.integer("transaction_persistent");
    auto max_conn = r.integer("max_connections");
    auto frontend = r.integer("frontend");
    auto backend = r.integer("backend");
    auto use_ssl = r.integer("use_ssl");
    auto schema_locked = r.integer("schema_locked");
    auto fast_forward = r.integer("fast_forward");
    for (auto* v : {&active, &hostgroup, &persistent, &max_conn, &frontend, &backend, &use_ssl,
                    &schema_locked, &fast_forward}) {
      if (!*v) return where(v->error());
    }
    u.active = *active != 0;
    u.use_ssl = *use_ssl != 0;
    u.default_hostgroup = *hostgroup;
    u.default_schema = r.text("default_schema");
    u.transaction_persistent = *persistent != 0;
    u.max_connections = *max_conn;
    u.comment = r.text("comment");
    u.schema_locked = *schema_locked != 0;
    u.fast_forward = *fast_forward != 0;
    u.attributes = r.text("attributes");
    u.frontend = *frontend != 0;
    u.backend = *backend != 0;
    found.emplace_back(*frontend, std::move(u));
  }
  std::stable_sort(found.begin(), found.end(), [](auto& a, auto& b) {
    return a.second.username != b.second.username ? a.second.username < b.second.username
                                                  : a.first > b.first;
  });
  // One user per name: the frontend row's values win; it has the roles of
  // all its rows.
  std::vector<MysqlUser> users;
  for (auto& [frontend, user] : found) {
    if (!users.empty() && users.back().username == user.username) {
      users.back().frontend = users.back().frontend || user.frontend;
      users.back().backend = users.back().backend || user.backend;
      continue;
    }
    users.push_back(std::move(user));
  }
  return users;
}

namespace {

TextRow user_row(const MysqlUser& u, bool backend, bool frontend) {
  return {u.username,
          u.password,
          num(u.active ? 1 : 0),
          num(u.use_ssl ? 1 : 0),
          num(u.default_hostgroup),
          u.default_schema,
          num(u.schema_locked ? 1 : 0),
          num(u.transaction_persistent ? 1 : 0),
          num(u.fast_forward ? 1 : 0),
          num(backend ? 1 : 0),
          num(frontend ? 1 : 0),
          num(u.max_connections),
          u.attributes,
          u.comment};
}

}  // namespace

std::vector<TextRow> rows_from_users(const std::vector<MysqlUser>& users) {
  std::vector<TextRow> rows;
  for (auto& u : users) rows.push_back(user_row(u, u.backend, u.frontend));
  return rows;
}

std::vector<TextRow> runtime_user_rows(const std::vector<MysqlUser>& users) {
  std::vector<TextRow> rows;
  for (auto& u : users) {
    if (u.backend) rows.push_back(user_row(u, true, false));
    if (u.frontend) rows.push_back(user_row(u, false, true));
  }
  return rows;
}

Result<std::vector<MysqlServer>> servers_from_rows(const std::vector<TextRow>& rows) {
  std::vector<MysqlServer> servers;
  for (auto& row : rows) {
    RowReader r(mysql_servers_columns(), row);
    MysqlServer s;
    s.hostname = r.text("hostname");
    if (s.hostname.empty()) {
      return make_error(errc::kUnknownError, "mysql_servers: empty hostname");
    }
    auto hostgroup = r.integer("hostgroup_id");
    auto port = r.integer("port");
    auto weight = r.integer("weight");
    auto max_conn = r.integer("max_connections");
    auto use_ssl = r.integer("use_ssl");
    auto latency = r.integer("max_latency_ms");
    for (auto* v : {&hostgroup, &port, &weight, &max_conn, &use_ssl, &latency}) {
      if (!*v) {
        return make_error(errc::kUnknownError, fmt::format("mysql_servers row '{}': {}", s.hostname,
                                                           v->error().message));
      }
    }
    s.hostgroup_id = *hostgroup;
    s.port = *port;
    s.status = r.text("status");
    for (auto& c : s.status) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    s.weight = *weight;
    s.max_connections = *max_conn;
    s.use_ssl = *use_ssl;
    s.max_latency_ms = *latency;
    s.comment = r.text("comment");
    servers.push_back(std::move(s));
  }
  return servers;
}

std::vector<TextRow> rows_from_servers(const std::vector<MysqlServer>& servers) {
  std::vector<TextRow> rows;
  for (auto& s : servers) {
    rows.push_back({num(s.hostgroup_id), s.hostname, num(s.port), num(0), s.status, num(s.weight),
                    num(0), num(s.max_connections), num(0), num(s.use_ssl), num(s.max_latency_ms),
                    s.comment});
  }
  return rows;
}

}  // namespace gp::admin
