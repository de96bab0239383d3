// The columns of the row tables (mysql_users, mysql_servers). Pure data: the
// configuration-file reader uses it without the SQLite store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gp::admin {

// One column of a row table (mysql_users, mysql_servers). The table's SQL, its
// column order and the configuration file's keys and checks all come from
// these rows, so a column is added or changed in one place.
struct Column {
  std::string_view name;
  std::string_view sql;  // what follows the name in CREATE TABLE: type, CHECK, DEFAULT
  // The configuration file's reading of the column. The range repeats the
  // CHECK of `sql` (kept verbatim, since SQLite quotes it in its errors);
  // where `sql` has none, the range is only checked here and at LOAD.
  bool is_int = false;
  int64_t min = 0;
  int64_t max = 0;
  bool required = false;                       // text that must be given and not empty
  std::vector<std::string_view> choices = {};  // text that must be one of these
  std::string_view alias = {};                 // a further key ProxySQL's files use
};

// The columns of the two row tables, in table order.
const std::vector<Column>& mysql_users_table();
const std::vector<Column>& mysql_servers_table();

// Column names of the two row tables, in table order.
const std::vector<std::string>& mysql_users_columns();
const std::vector<std::string>& mysql_servers_columns();

}  // namespace gp::admin
