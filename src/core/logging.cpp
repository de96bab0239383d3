#include "core/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <vector>

namespace gp {

namespace {

constexpr const char* kPattern = "%Y-%m-%d %H:%M:%S.%e [%^%l%$] [%t] %v";

// The file sink sits behind a dist_sink so that reopening swaps it under the
// sink's own lock, never the logger other threads hold.
struct LogFile {
  std::mutex mutex;
  std::string path;
  std::shared_ptr<spdlog::sinks::dist_sink_mt> sink;
};

LogFile& log_file() {
  static LogFile file;
  return file;
}

std::vector<spdlog::sink_ptr> open_file_sink(const std::string& path) {
  try {
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path);
    sink->set_pattern(kPattern);  // a sink added later does not get the logger's
    return {sink};
  } catch (const spdlog::spdlog_ex& e) {
    // Logging to stderr alone is better than not starting.
    fprintf(stderr, "genaiproxy: cannot open log file %s: %s\n", path.c_str(), e.what());
    return {};
  }
}

}  // namespace

void init_logging(const std::string& level, const std::string& file) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (!file.empty()) {
    auto& f = log_file();
    std::lock_guard lock(f.mutex);
    f.path = file;
    f.sink = std::make_shared<spdlog::sinks::dist_sink_mt>(open_file_sink(file));
    sinks.push_back(f.sink);
  }
  auto logger = std::make_shared<spdlog::logger>("genaiproxy", sinks.begin(), sinks.end());
  logger->set_pattern(kPattern);
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void reopen_log_file() {
  auto& f = log_file();
  std::lock_guard lock(f.mutex);
  if (!f.sink) return;
  // Drop the old file first: the new one is opened by name, so a file moved
  // away by logrotate stays where it went, and the log starts again at path.
  f.sink->set_sinks({});
  f.sink->set_sinks(open_file_sink(f.path));
}

}  // namespace gp
