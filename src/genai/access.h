// Grants and quotas per MySQL user and model (genai_model_grants,
// SPEC-MODELS §1). A model with no grant row is open to every user; one with
// rows only to those users, each within its own limits. Counted per proxy
// instance, in fixed windows (the current minute, the current UTC day).
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/config.h"
#include "core/error.h"

namespace gp::genai {

class AccessControl {
 public:
  using Clock = std::chrono::system_clock;

  // Whether `user` may send one statement of `documents` to `model` now, and
  // if so counts it. Denied: 9109 (42000); over a limit: 9110 (HY000), naming
  // the user, the model, the limit and when it resets. Nothing is counted
  // for a refused statement.
  Result<void> admit(const std::vector<GenaiModelGrant>& grants, const std::string& user,
                     const std::string& model, size_t documents,
                     Clock::time_point now = Clock::now());

 private:
  struct Usage {
    int64_t minute = -1;  // minutes since the epoch of `requests`
    int64_t requests = 0;
    int64_t day = -1;  // days since the epoch of `documents`
    int64_t documents = 0;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Usage> usage_;  // by user '\n' model
};

}  // namespace gp::genai
