// What a statement does to session state, as far as the connection pool is
// concerned. Pure: looks at the SQL text only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gp::backend {

struct StatementTraits {
  // The statement may leave state on the connection that later statements of
  // the same client depend on (SET, user variables, temporary tables, locks,
  // SQL-level PREPARE, HANDLER, SQL_CALC_FOUND_ROWS...): the client must keep
  // its backend connection for the rest of the session.
  bool pins = false;
  // `USE name` with a name that could be read: on success the session's
  // schema becomes this name, without pinning.
  std::optional<std::string> use_schema;
};

// Looks at every statement of a (possibly multi-statement) query. Comments
// and quoted strings are skipped; executable comments (/*! ... */) count as
// code. When unsure, pins: a pinned session is always correct, only less
// shareable.
StatementTraits classify_statement(std::string_view sql);

}  // namespace gp::backend
