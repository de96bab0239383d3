// The GenAI engine: runs GENAI: requests asynchronously. HTTP calls go
// through `genai-threads` engine threads, each driving one libcurl multi
// handle; the built-in lexical provider runs on the same threads. Network
// threads only submit and are called back; they never block.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/error.h"
#include "core/metrics.h"
#include "mysql/resultset.h"

namespace gp::genai {

// Runs one SELECT for document_from_sql on the client's default hostgroup and
// calls back exactly once, on any thread.
using SqlCompletion = std::function<void(Result<mysql::ResultSet>)>;
using SqlRunner = std::function<void(std::string sql, SqlCompletion done)>;

struct RequestContext {
  std::string username;
  int default_hostgroup = 0;
  SqlRunner run_sql;  // empty when the proxy has no backend for this client
};

// Handle of a submitted request; cancel() is safe from any thread, at any time.
class Ticket {
 public:
  virtual ~Ticket() = default;
  virtual void cancel() = 0;
};

class Engine {
 public:
  using Completion = std::function<void(Result<mysql::ResultSet>)>;

  Engine(ConfigStore& config, MetricsRegistry& metrics);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Starts the engine threads (genai-threads of the current snapshot) and
  // follows later snapshots: a new thread count or URI applies to new
  // requests; requests in flight finish where they started.
  void start();
  // Fails every request in flight with "module unavailable" and joins threads.
  void stop();

  // Parses `statement` (a whole GENAI: statement) and runs it. `done` is
  // called exactly once, on an engine thread (or inline for an invalid
  // statement), with the result set or the error. After cancel(), `done` is
  // still called once, with an error, and the upstream request is aborted.
  std::shared_ptr<Ticket> submit(std::string statement, RequestContext context, Completion done);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gp::genai
