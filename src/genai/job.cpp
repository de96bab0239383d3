#include "genai/job.h"

#include "genai/http_worker.h"

namespace gp::genai {

bool Job::finish(Result<mysql::ResultSet> result) {
  if (completed.exchange(true, std::memory_order_acq_rel)) return false;
  auto& s = *core->stats;
  constexpr auto relaxed = std::memory_order_relaxed;
  if (result) {
    s.requests_completed.fetch_add(1, relaxed);
  } else {
    s.requests_failed.fetch_add(1, relaxed);
    s.count_error(result.error().code);
  }
  s.observe_latency(std::chrono::steady_clock::now() - submitted);
  s.requests_in_flight.fetch_sub(1, relaxed);
  // Released before the callback, so that a client answered here can submit
  // its next request without tripping genai-max_queue.
  core->admitted.fetch_sub(1, std::memory_order_acq_rel);
  if (worker) worker->job_released();
  auto callback = std::move(done);
  done = nullptr;
  if (callback) callback(std::move(result));
  return true;
}

}  // namespace gp::genai
