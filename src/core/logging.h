// Process-wide logging setup (spdlog). Secrets never reach a log line: callers
// log URIs and names, never keys or passwords.
#pragma once

#include <string>

namespace gp {

// Logs to stderr and, when `file` is not empty, to that file too.
void init_logging(const std::string& level, const std::string& file);

}  // namespace gp
