// One round of upstream attempts on an engine loop, each optionally hedged:
// when an attempt has no answer after `hedge_after`, the same request goes to
// a second endpoint as well; the first good answer (2xx) wins and the other
// transfer is cancelled. Retries and the choice of endpoints are the
// caller's (genai/resilient_call.h); this only runs transfers and timers.
// Thread affinity: the loop's thread.
#pragma once

#include <array>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "genai/http_loop.h"

namespace gp::genai {

struct Attempt {
  HttpCall primary;
  std::optional<HttpCall> hedge;
  std::chrono::milliseconds hedge_after{0};
  // The hedge is due (loop thread): false keeps it from being sent (its
  // endpoint has no room).
  std::function<bool()> on_hedge;
};

struct AttemptResult {
  // [0] the primary's reply, [1] the hedge's when it was sent.
  std::array<std::optional<HttpReply>, 2> replies;
  // A transfer cancelled because the other one won.
  std::array<bool, 2> abandoned{false, false};
  int winner = 0;  // the reply that stands for the attempt: a good one if any
  bool hedged() const { return replies[1].has_value(); }
  HttpReply& reply() { return *replies[static_cast<size_t>(winner)]; }
};

// Whether a reply is an answer to use (libcurl done, 2xx).
inline bool is_good_reply(const HttpReply& r) {
  return r.code == CURLE_OK && r.status >= 200 && r.status < 300;
}

class AttemptRunner {
 public:
  using Done = std::function<void(std::vector<AttemptResult>)>;
  using RunId = uint64_t;

  AttemptRunner(asio::io_context& io, HttpLoop& http) : io_(io), http_(http) {}

  // Starts every attempt at once; `done` runs on this loop when each has an
  // outcome, in attempt order.
  RunId run(std::vector<Attempt> attempts, Done done);
  // Aborts a run's transfers and runs its `done` at once (replies say
  // CURLE_ABORTED_BY_CALLBACK). No effect once done.
  void cancel(RunId id);
  void abort_all();

 private:
  struct Slot {
    Attempt attempt;
    AttemptResult result;
    std::array<HttpLoop::CallId, 2> calls{0, 0};
    std::array<bool, 2> running{false, false};
    bool finished = false;
    std::unique_ptr<asio::steady_timer> timer;
  };
  struct Run {
    std::vector<Slot> slots;
    size_t pending = 0;
    Done done;
  };

  void send(RunId id, size_t slot, int which);
  void on_reply(RunId id, size_t slot, int which, HttpReply reply);
  void finish(RunId id, Run& run, Slot& slot);

  asio::io_context& io_;
  HttpLoop& http_;
  RunId next_id_ = 1;
  std::unordered_map<RunId, std::shared_ptr<Run>> runs_;
};

}  // namespace gp::genai
