// Learns a server's version from its greeting, before any client needs a
// backend connection: drivers choose their dialect from the version the
// proxy announces (mysql-server_version=auto).
#pragma once

#include <chrono>
#include <string>

#include "core/config.h"

namespace gp::backend {

// Connects, reads the greeting and closes without logging in. Blocking, for
// at most `timeout`; empty when the server cannot be reached or answers
// something else. For the janitor thread only.
std::string probe_server_version(const MysqlServer& server, std::chrono::milliseconds timeout);

}  // namespace gp::backend
