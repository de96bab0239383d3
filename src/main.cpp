// genaiproxy: a MySQL-protocol proxy with a GenAI module.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "admin/admin.h"
#include "backend/backend.h"
#include "core/config.h"
#include "core/logging.h"
#include "core/metrics.h"
#include "frontend/frontend.h"
#include "genai/engine.h"
#include "http/metrics_server.h"
#include "jobs/jobs.h"

namespace {

// Blocks SIGINT/SIGTERM in every thread (threads inherit the mask) and waits
// for one on the main thread, so that shutdown runs in ordinary code.
int wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

void block_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"genaiproxy: MySQL-protocol proxy with a GenAI module"};
  gp::admin::Options options;
  std::string log_level = "info";
  app.add_option("-c,--config", options.config_path, "configuration file (libconfig syntax)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("-D,--datadir", options.datadir, "data directory (overrides the file's datadir)");
  app.add_flag("--initial", options.initial,
               "rebuild the on-disk database from the configuration file");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.set_version_flag("-V,--version", std::string("genaiproxy ") + GP_VERSION);
  CLI11_PARSE(app, argc, argv);

  block_signals();
  gp::init_logging(log_level, "");

  gp::ConfigStore config;
  gp::MetricsRegistry metrics;
  auto admin = gp::admin::Admin::open(options, config, metrics);
  if (!admin) {
    std::fprintf(stderr, "genaiproxy: %s\n", admin.error().message.c_str());
    return 1;
  }
  gp::init_logging(log_level,
                   (std::filesystem::path((*admin)->datadir()) / "genaiproxy.log").string());
  spdlog::info("genaiproxy {} starting, datadir {}", GP_VERSION, (*admin)->datadir());

  gp::genai::Engine engine(config, metrics);
  gp::backend::BackendManager backends(config, metrics);
  backends.remember_version_in(
      (std::filesystem::path((*admin)->datadir()) / "backend_version").string());
  (*admin)->set_server_version_source([&config, &backends] {
    return backends.advertised_version(config.current()->mysql.server_version) + "-genaiproxy";
  });
  (*admin)->set_genai_cache_flush([&engine] { engine.flush_cache(); });
  (*admin)->set_endpoint_discovery_source([&engine] { return engine.endpoint_discovery(); });
  gp::frontend::Frontend frontend(config, metrics, **admin, engine, backends);
  (*admin)->set_pause_listeners(
      [&frontend](bool pause) { return frontend.pause_listeners(pause); });
  gp::http::MetricsServer metrics_server(config, metrics);
  gp::jobs::JobManager jobs(config, metrics, engine, backends, (*admin)->job_checkpoints());
  engine.start();
  if (auto started = frontend.start(); !started) {
    spdlog::error("{}", started.error().message);
    std::fprintf(stderr, "genaiproxy: %s\n", started.error().message.c_str());
    engine.stop();
    return 1;
  }
  metrics_server.start();
  jobs.start();
  spdlog::info("genaiproxy ready");

  int sig = wait_for_signal();
  spdlog::info("received signal {}, shutting down", sig);
  metrics_server.stop();
  frontend.stop_accepting();
  // Jobs checkpoint and end before the engine and backends they use.
  jobs.stop();
  // The engine fails what is in flight with 9106 and the sessions, still
  // running, write those errors before the front end ends them.
  engine.stop();
  frontend.stop(std::chrono::seconds(2));
  backends.stop();
  spdlog::info("genaiproxy stopped");
  return 0;
}
