// The session state the proxy tracks instead of pinning a backend connection
// (docs/BACKENDS.md): character set, autocommit, sql_mode, time_zone,
// transaction isolation and access mode, and the session variables listed in
// tracked_variables(). A client's SET of these runs on whichever connection
// serves it, is recorded, and is applied to any other pooled connection
// before that connection runs the client's next statement. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sql/sql.h"

namespace gp::backend {

// One tracked setting: what makes a connection have it, under a key that a
// later SET of the same thing replaces.
struct TrackedSetting {
  std::string key;         // "names", or the variable's lower-case name
  std::string assignment;  // e.g. "sql_mode = 'ANSI'", "NAMES 'latin1'"
  bool operator==(const TrackedSetting&) const = default;
};

// The settings of a session or of a connection, in the order they were made
// (a character set's variables after the NAMES that they refine).
using TrackedState = std::vector<TrackedSetting>;

// One assignment of a tracked SET.
struct TrackedAssignment {
  std::string key;
  // The assignment to record; empty when the value is an expression the
  // server computed (read back with SELECT @@session.<readback> after the SET).
  std::string assignment;
  std::string readback;  // the variable to read back, when `assignment` is empty
  bool reset = false;    // `= DEFAULT`: the setting goes back to the connection's default
};

// The assignments of `sql` when it is one SET statement whose every
// assignment is a tracked session setting; std::nullopt otherwise (any other
// statement, GLOBAL scope, user variables, an untracked variable, SET
// TRANSACTION for the next transaction only). `mariadb`: which variable names
// the backend knows for the transaction settings.
// `options`: how the session reads quotes (from its reported
// NO_BACKSLASH_ESCAPES and its tracked sql_mode); a string value is recorded
// single-quoted so that it replays the same under any mode, and one holding
// a backslash is not tracked.
std::optional<std::vector<TrackedAssignment>> parse_tracked_set(std::string_view sql, bool mariadb,
                                                                sql::LexOptions options = {});

// Records `assignment` (an assignment with its value, or a reset) in `state`.
void record(TrackedState& state, const TrackedAssignment& assignment);

// The one SET that takes a connection from `have` to `want`, or "" when they
// already agree. Settings in `have` but not in `want` go back to their
// defaults (`= DEFAULT`; the character set to `handshake_names`, the NAMES
// clause of the connection's own handshake character set).
// With `end_read_view` (the connection comes from another session that had
// autocommit off, so a consistent-read snapshot may still be open on it),
// autocommit is switched on and off again, which commits: the new session
// never reads through another's snapshot.
std::string apply_statement(const TrackedState& have, const TrackedState& want,
                            std::string_view handshake_names, bool end_read_view = false);

// "NAMES 'utf8mb4' COLLATE 'utf8mb4_general_ci'" for a handshake collation
// id the proxy knows; std::nullopt for others (a session that changes its
// character set then keeps its connection: it could not be reset).
std::optional<std::string> handshake_names(uint8_t collation_id);

// The variables tracked (lower-case), for docs and tests.
std::span<const std::string_view> tracked_variables();

}  // namespace gp::backend
