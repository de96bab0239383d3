#include "admin/row_reader.h"

#include <algorithm>
#include <vector>

#include "admin/variables.h"
#include "fmt/format.h"

namespace gp::admin {

Result<std::string> Reader::choice(std::string_view column) const {
  std::string v = text(column);
  const Column& rule = column_rule(column);
  if (std::find(rule.choices.begin(), rule.choices.end(), v) == rule.choices.end()) {
    return error(column, fmt::format("'{}' is not one of {}", v, fmt::join(rule.choices, ", ")));
  }
  return v;
}

Result<int64_t> Reader::number(std::string_view column) const {
  auto v = value(column);
  auto n = v ? parse_int(*v) : std::nullopt;
  const Column& rule = column_rule(column);
  if (!n || *n < rule.min || *n > rule.max) {
    return error(column, fmt::format("'{}' is not an integer in {}..{}", v.value_or("NULL"),
                                     rule.min, rule.max));
  }
  return *n;
}

std::unexpected<Error> Reader::error(std::string_view column, std::string_view problem) const {
  return make_error(errc::kUnknownError,
                    fmt::format("{} row {}: {}: {}", table_.name, key(), column, problem));
}

std::string Reader::key() const {
  std::vector<std::string> parts;
  std::string_view rest = table_.key;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view column = rest.substr(0, comma);
    while (!column.empty() && column.front() == ' ') column.remove_prefix(1);
    parts.push_back(fmt::format("'{}'", text(column)));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return parts.size() == 1 ? parts[0] : fmt::format("({})", fmt::join(parts, ", "));
}

size_t Reader::index(std::string_view column) const {
  auto it = std::find(table_.names.begin(), table_.names.end(), column);
  return static_cast<size_t>(it - table_.names.begin());
}

}  // namespace gp::admin
