// Builds MySQL result sets from admin data and from SQLite statements.
#pragma once

#include <string>
#include <vector>

#include "admin/sqlite_db.h"
#include "core/error.h"
#include "mysql/resultset.h"

namespace gp::admin {

mysql::Column text_column(std::string name);
mysql::Column blob_column(std::string name);

// A result set of text columns.
mysql::ResultSet text_result(const std::vector<std::string>& columns, std::vector<mysql::Row> rows);

// Steps `stmt` to the end. A statement with result columns gives a result set
// whose column types follow the values (all integers: LONGLONG; numbers:
// DOUBLE; blobs: BLOB; otherwise VAR_STRING); one without gives an OK with
// the number of changed rows.
Result<mysql::QueryResult> run_to_result(Database& db, Statement& stmt);

}  // namespace gp::admin
