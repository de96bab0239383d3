// Statements on the client and admin interfaces that the proxy answers
// itself instead of forwarding them. Pure.
#pragma once

#include <optional>
#include <string_view>

#include "core/error.h"
#include "sql/sql.h"

namespace gp::frontend {

// With a backend, only the command-line client's banner query
// (`select @@version_comment limit 1`) is answered here. Without one, every
// statement drivers send at connect time (sql::answer_session_query): SELECT
// of system variables and VERSION(), SHOW VARIABLES, SET, USE, BEGIN, COMMIT,
// ROLLBACK. std::nullopt: the statement needs a backend.
Result<std::optional<sql::LocalAnswer>> answer_locally(std::string_view sql, bool has_backend,
                                                       sql::SessionVariables& variables,
                                                       const sql::SessionInfo& info);

// `select @@version_comment limit 1`, in any spelling.
bool is_banner_query(std::string_view sql);

// What a session's variables start from: the advertised version, the
// character set the client chose in its handshake, the machine's time zone
// and host name. Reads the clock and the host name (not pure).
sql::SessionDefaults session_defaults(std::string version, uint8_t client_charset,
                                      uint64_t max_allowed_packet, uint16_t port);

}  // namespace gp::frontend
