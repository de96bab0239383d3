#include "admin/result_builder.h"

#include <cstring>

namespace gp::admin {

namespace {

mysql::Column binary_column(std::string name, mysql::ColumnType type, uint32_t length,
                            uint16_t flags, uint8_t decimals) {
  mysql::Column c;
  c.name = std::move(name);
  c.type = type;
  c.charset = mysql::charset::kBinary;
  c.length = length;
  c.flags = flags;
  c.decimals = decimals;
  return c;
}

}  // namespace

mysql::Column text_column(std::string name) {
  mysql::Column c;
  c.name = std::move(name);
  c.type = mysql::ColumnType::kVarString;
  c.charset = mysql::charset::kUtf8mb4GeneralCi;
  c.length = 1024;
  return c;
}

mysql::Column blob_column(std::string name) {
  return binary_column(std::move(name), mysql::ColumnType::kBlob, 65535,
                       mysql::column_flag::kBlob | mysql::column_flag::kBinary, 0);
}

mysql::ResultSet text_result(const std::vector<std::string>& columns,
                             std::vector<mysql::Row> rows) {
  mysql::ResultSet rs;
  for (auto& name : columns) rs.columns.push_back(text_column(name));
  rs.rows = std::move(rows);
  return rs;
}

Result<mysql::QueryResult> run_to_result(Database& db, Statement& stmt) {
  const int n = stmt.column_count();
  if (n == 0) {
    // sqlite3_changes() keeps the count of the last INSERT/UPDATE/DELETE, so
    // it is only the answer when this statement changed something.
    const int64_t total_before = sqlite3_total_changes64(db.get());
    if (auto r = stmt.run(); !r) return std::unexpected(r.error());
    mysql::OkPacket ok;
    if (sqlite3_total_changes64(db.get()) != total_before) {
      ok.affected_rows = static_cast<uint64_t>(db.changes());
    }
    return ok;
  }
  // As ProxySQL's admin: every column is sent as VARCHAR text, whatever
  // SQLite holds, so that a tool reading a value back compares the text it
  // wrote. Only a column of blobs (x'..', UNHEX()) keeps its binary type.
  std::vector<bool> blob(static_cast<size_t>(n), false);
  std::vector<bool> seen(static_cast<size_t>(n), false);
  std::vector<mysql::Row> rows;
  for (;;) {
    auto more = stmt.step();
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    mysql::Row row;
    row.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      int t = stmt.column_type(i);
      auto c = static_cast<size_t>(i);
      if (t != SQLITE_NULL) {
        blob[c] = (seen[c] ? blob[c] : true) && t == SQLITE_BLOB;
        seen[c] = true;
      }
      row.push_back(stmt.column_text(i));
    }
    rows.push_back(std::move(row));
  }
  mysql::ResultSet rs;
  for (int i = 0; i < n; ++i) {
    std::string name = stmt.column_name(i);
    rs.columns.push_back(blob[static_cast<size_t>(i)] ? blob_column(std::move(name))
                                                      : text_column(std::move(name)));
  }
  rs.rows = std::move(rows);
  return rs;
}

}  // namespace gp::admin
