// Statements prepared on the admin interface: the admin store runs SQL text,
// so an execute binds each `?` as an SQL literal into the statement's text.
// Pure.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mysql/prepared.h"

namespace gp::frontend {

// The number of `?` parameters in `sql` (a `?` inside a string, identifier
// or comment is text).
size_t count_parameters(std::string_view sql);

// `sql` with its i-th `?` replaced by params[i] as an SQL literal: NULL, a
// number, or a quoted string (bytes and temporal values as strings).
// Precondition: params.size() == count_parameters(sql).
std::string bind_parameters(std::string_view sql, std::span<const mysql::ParamValue> params);

}  // namespace gp::frontend
