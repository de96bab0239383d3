// Conversions between the rows of mysql_users / mysql_servers and the typed
// runtime structs. Pure.
#pragma once

#include <vector>

#include "admin/sqlite_db.h"
#include "core/config.h"
#include "core/error.h"

namespace gp::admin {

using TextRow = std::vector<SqlText>;  // one value per column, in table order

// Rows in mysql_users_columns() order. A user with a frontend and a backend
// row appears once (the frontend row's values win) with both roles. Errors
// name the row.
Result<std::vector<MysqlUser>> users_from_rows(const std::vector<TextRow>& rows);
// One row per user with its roles (what SAVE MYSQL USERS FROM RUNTIME writes
// and CHECKSUM RUNTIME hashes, so that both match the memory layer they
// were loaded from).
std::vector<TextRow> rows_from_users(const std::vector<MysqlUser>& users);
// As ProxySQL shows runtime_mysql_users: a backend row (backend=1,
// frontend=0) and a frontend row (backend=0, frontend=1) per user.
std::vector<TextRow> runtime_user_rows(const std::vector<MysqlUser>& users);

// Rows in mysql_servers_columns() order.
Result<std::vector<MysqlServer>> servers_from_rows(const std::vector<TextRow>& rows);
std::vector<TextRow> rows_from_servers(const std::vector<MysqlServer>& servers);

}  // namespace gp::admin
