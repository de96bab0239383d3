#include "genai/attempt_runner.h"

namespace gp::genai {

AttemptRunner::RunId AttemptRunner::run(std::vector<Attempt> attempts, Done done) {
  RunId id = next_id_++;
  auto r = std::make_shared<Run>();
  r->done = std::move(done);
  r->pending = attempts.size();
  r->slots.resize(attempts.size());
  for (size_t i = 0; i < attempts.size(); ++i) r->slots[i].attempt = std::move(attempts[i]);
  runs_[id] = r;
  if (r->slots.empty()) {
    runs_.erase(id);
    r->done({});
    return id;
  }
  for (size_t i = 0; i < r->slots.size(); ++i) {
    // A transfer may fail at once and end the run: look it up again.
    if (!runs_.contains(id)) break;
    Slot& slot = r->slots[i];
    if (slot.attempt.hedge && slot.attempt.hedge_after.count() > 0) {
      slot.timer = std::make_unique<asio::steady_timer>(io_, slot.attempt.hedge_after);
      slot.timer->async_wait([this, id, i](std::error_code ec) {
        if (!ec) send(id, i, 1);
      });
    }
    send(id, i, 0);
  }
  return id;
}

void AttemptRunner::send(RunId id, size_t index, int which) {
  auto it = runs_.find(id);
  if (it == runs_.end()) return;
  auto run = it->second;
  Slot& slot = run->slots[index];
  if (slot.finished) return;
  HttpCall call;
  if (which == 0) {
    call = std::move(slot.attempt.primary);
  } else {
    if (slot.attempt.on_hedge && !slot.attempt.on_hedge()) return;
    call = std::move(*slot.attempt.hedge);
    slot.result.replies[1] = HttpReply{};
  }
  auto w = static_cast<size_t>(which);
  slot.running[w] = true;
  std::vector<HttpCall> calls;
  calls.push_back(std::move(call));
  HttpLoop::CallId call_id =
      http_.perform(std::move(calls), [this, id, index, which](std::vector<HttpReply> replies) {
        on_reply(id, index, which, std::move(replies[0]));
      });
  if (slot.running[w]) slot.calls[w] = call_id;
}

void AttemptRunner::on_reply(RunId id, size_t index, int which, HttpReply reply) {
  auto it = runs_.find(id);
  if (it == runs_.end()) return;
  auto run = it->second;
  Slot& slot = run->slots[index];
  auto w = static_cast<size_t>(which);
  if (slot.finished || !slot.running[w]) return;
  slot.running[w] = false;
  slot.calls[w] = 0;
  bool good = is_good_reply(reply);
  slot.result.replies[w] = std::move(reply);
  size_t other = 1 - w;
  if (good) {
    slot.result.winner = which;
  } else if (slot.running[other]) {
    return;  // the other transfer may still answer
  } else {
    // Both failed, or the primary failed before a hedge was due: the
    // caller's retry decides what comes next.
    slot.result.winner = slot.result.replies[0] ? 0 : which;
  }
  finish(id, *run, slot);
}

void AttemptRunner::finish(RunId id, Run& run, Slot& slot) {
  slot.finished = true;
  if (slot.timer) slot.timer->cancel();
  for (size_t k = 0; k < 2; ++k) {
    if (!slot.running[k]) continue;
    slot.running[k] = false;
    slot.result.abandoned[k] = true;
    HttpReply aborted;
    aborted.code = CURLE_ABORTED_BY_CALLBACK;
    slot.result.replies[k] = std::move(aborted);
    if (slot.calls[k]) http_.cancel(slot.calls[k]);
  }
  if (--run.pending > 0) return;
  auto keep = runs_[id];
  runs_.erase(id);
  std::vector<AttemptResult> results;
  results.reserve(keep->slots.size());
  for (auto& s : keep->slots) results.push_back(std::move(s.result));
  keep->done(std::move(results));
}

void AttemptRunner::cancel(RunId id) {
  auto it = runs_.find(id);
  if (it == runs_.end()) return;
  auto run = it->second;
  runs_.erase(it);
  std::vector<AttemptResult> results;
  for (auto& slot : run->slots) {
    if (slot.timer) slot.timer->cancel();
    for (size_t k = 0; k < 2; ++k) {
      if (slot.finished || !slot.running[k]) continue;
      slot.running[k] = false;
      HttpReply aborted;
      aborted.code = CURLE_ABORTED_BY_CALLBACK;
      slot.result.replies[k] = std::move(aborted);
      if (slot.calls[k]) http_.cancel(slot.calls[k]);
    }
    if (!slot.result.replies[0]) {
      HttpReply aborted;
      aborted.code = CURLE_ABORTED_BY_CALLBACK;
      slot.result.replies[0] = std::move(aborted);
    }
    if (!slot.finished) slot.result.winner = 0;
    results.push_back(std::move(slot.result));
  }
  run->done(std::move(results));
}

void AttemptRunner::abort_all() {
  std::vector<RunId> ids;
  for (auto& [id, run] : runs_) ids.push_back(id);
  for (RunId id : ids) cancel(id);
}

}  // namespace gp::genai
