// Reading one row of a row table (columns.cpp) by column name, each value
// checked against its column's definition, so that a rule is written once.
// Errors name the table, the row's key and the column.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "admin/columns.h"
#include "admin/runtime_rows.h"
#include "core/error.h"

namespace gp::admin {

class Reader {
 public:
  Reader(std::string_view table, const TextRow& row) : table_(*find_row_table(table)), row_(row) {}

  std::string text(std::string_view column) const { return value(column).value_or(""); }
  // One of the column's choices.
  Result<std::string> choice(std::string_view column) const;
  // An integer in the column's range.
  Result<int64_t> number(std::string_view column) const;
  std::unexpected<Error> error(std::string_view column, std::string_view problem) const;

 private:
  // The primary key's values: 'm1', or ('m1', 'http://...') for two columns.
  std::string key() const;
  const Column& column_rule(std::string_view column) const { return table_.columns[index(column)]; }
  size_t index(std::string_view column) const;
  SqlText value(std::string_view column) const {
    size_t i = index(column);
    return i < row_.size() ? row_[i] : std::nullopt;
  }

  const RowTable& table_;
  const TextRow& row_;
};

}  // namespace gp::admin
