// Statements on the client interface that the proxy answers itself instead of
// forwarding them. Pure.
#pragma once

#include <optional>
#include <string_view>

#include "mysql/resultset.h"

namespace gp::frontend {

// `has_backend`: whether the client's hostgroup has any server. Without one,
// session SET statements are acknowledged locally (clients send them on
// connect) and everything else that is not answered here fails clearly.
std::optional<mysql::QueryResult> answer_locally(std::string_view sql, bool has_backend);

// Lower-cases ASCII, collapses white space, drops a trailing ';'.
std::string normalize_statement(std::string_view sql);

}  // namespace gp::frontend
