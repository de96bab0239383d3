#include "frontend/local_answers.h"

#include <cctype>
#include <string>

namespace gp::frontend {

std::string normalize_statement(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  bool space = false;
  for (char c : sql) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  while (!out.empty() && (out.back() == ';' || out.back() == ' ')) out.pop_back();
  return out;
}

std::optional<mysql::QueryResult> answer_locally(std::string_view sql, bool has_backend) {
  const std::string s = normalize_statement(sql);
  // The mariadb/mysql command-line clients send this on connect to print the
  // server banner; it must not need a backend.
  if (s == "select @@version_comment limit 1") {
    mysql::ResultSet rs;
    rs.columns.push_back(mysql::Column::text("@@version_comment"));
    rs.rows.push_back({std::string("genaiproxy")});
    return rs;
  }
  if (!has_backend && (s.starts_with("set ") || s.starts_with("use "))) {
    return mysql::OkPacket{};
  }
  return std::nullopt;
}

}  // namespace gp::frontend
