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

// A column whose values are all NULL takes its type from the declaration.
int declared_type(const char* decl) {
  if (!decl) return SQLITE_TEXT;
  std::string d(decl);
  for (auto& ch : d) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (d.find("INT") != std::string::npos) return SQLITE_INTEGER;
  if (d.find("REAL") != std::string::npos || d.find("DOUB") != std::string::npos ||
      d.find("FLOA") != std::string::npos) {
    return SQLITE_FLOAT;
  }
  return SQLITE_TEXT;
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

mysql::Column bigint_column(std::string name) {
  return binary_column(std::move(name), mysql::ColumnType::kLongLong, 20,
                       mysql::column_flag::kBinary, 0);
}

mysql::Column double_column(std::string name) {
  return binary_column(std::move(name), mysql::ColumnType::kDouble, 22, mysql::column_flag::kBinary,
                       31);
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
  // The kind of each column: SQLITE_NULL until a value is seen; a mix of
  // integers and reals is numeric (SQLITE_FLOAT); any other mix is text.
  std::vector<int> kinds(static_cast<size_t>(n), SQLITE_NULL);
  std::vector<mysql::Row> rows;
  for (;;) {
    auto more = stmt.step();
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    mysql::Row row;
    row.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      int t = stmt.column_type(i);
      int& kind = kinds[static_cast<size_t>(i)];
      if (t != SQLITE_NULL && kind != t) {
        bool numeric = (t == SQLITE_INTEGER || t == SQLITE_FLOAT) &&
                       (kind == SQLITE_INTEGER || kind == SQLITE_FLOAT);
        kind = kind == SQLITE_NULL ? t : numeric ? SQLITE_FLOAT : SQLITE_TEXT;
      }
      row.push_back(stmt.column_text(i));
    }
    rows.push_back(std::move(row));
  }
  mysql::ResultSet rs;
  for (int i = 0; i < n; ++i) {
    int kind = kinds[static_cast<size_t>(i)];
    if (kind == SQLITE_NULL) kind = declared_type(stmt.column_decltype(i));
    std::string name = stmt.column_name(i);
    switch (kind) {
      case SQLITE_INTEGER:
        rs.columns.push_back(bigint_column(std::move(name)));
        break;
      case SQLITE_FLOAT:
        rs.columns.push_back(double_column(std::move(name)));
        break;
      case SQLITE_BLOB:
        rs.columns.push_back(blob_column(std::move(name)));
        break;
      default:
        rs.columns.push_back(text_column(std::move(name)));
    }
  }
  rs.rows = std::move(rows);
  return rs;
}

}  // namespace gp::admin
