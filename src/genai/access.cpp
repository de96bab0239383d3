#include "genai/access.h"

namespace gp::genai {

Result<void> AccessControl::admit(const std::vector<GenaiModelGrant>& grants,
                                  const std::string& user, const std::string& model,
                                  size_t documents, Clock::time_point now) {
  const GenaiModelGrant* grant = nullptr;
  bool restricted = false;
  for (const auto& g : grants) {
    if (g.model_name != model) continue;
    restricted = true;
    if (g.username == user) grant = &g;
  }
  if (!restricted) return {};
  if (!grant) {
    return make_error(errc::kGenaiAccessDenied,
                      "GENAI: user '" + user + "' may not use model '" + model +
                          "': genai_model_grants lists other users for it");
  }
  if (grant->max_requests_per_minute == 0 && grant->max_documents_per_day == 0) return {};
  auto since_epoch = now.time_since_epoch();
  int64_t minute = std::chrono::duration_cast<std::chrono::minutes>(since_epoch).count();
  int64_t second = std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
  int64_t day = second / 86400;
  std::lock_guard lock(mutex_);
  Usage& u = usage_[user + '\n' + model];
  if (u.minute != minute) {
    u.minute = minute;
    u.requests = 0;
  }
  if (u.day != day) {
    u.day = day;
    u.documents = 0;
  }
  if (grant->max_requests_per_minute > 0 && u.requests >= grant->max_requests_per_minute) {
    return make_error(
        errc::kGenaiQuotaExceeded,
        "GENAI: user '" + user + "' is over its quota for model '" + model +
            "': max_requests_per_minute=" + std::to_string(grant->max_requests_per_minute) +
            "; retry in " + std::to_string(60 - second % 60) + " s");
  }
  auto docs = static_cast<int64_t>(documents);
  if (grant->max_documents_per_day > 0 && u.documents + docs > grant->max_documents_per_day) {
    return make_error(
        errc::kGenaiQuotaExceeded,
        "GENAI: user '" + user + "' is over its quota for model '" + model +
            "': max_documents_per_day=" + std::to_string(grant->max_documents_per_day) + " (" +
            std::to_string(u.documents) + " used, " + std::to_string(docs) +
            " more asked); retry after 00:00 UTC");
  }
  ++u.requests;
  u.documents += docs;
  return {};
}

}  // namespace gp::genai
