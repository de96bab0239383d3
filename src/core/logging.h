// Process-wide logging setup (spdlog). Secrets never reach a log line: callers
// log URIs and names, never keys or passwords.
#pragma once

#include <string>

namespace gp {

// Logs to stderr and, when `file` is not empty, to that file too.
void init_logging(const std::string& level, const std::string& file);

// Closes and reopens the log file (PROXYSQL FLUSH LOGS, after logrotate moved
// it away); safe while other threads log.
void reopen_log_file();

}  // namespace gp
