#include "frontend/local_answers.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <string>
#include <utility>

namespace gp::frontend {

bool is_banner_query(std::string_view sql) {
  // Every forwarded statement is asked: most are ruled out before tokenizing.
  constexpr std::string_view kVariable = "@@version_comment";
  if (sql.size() > 256) return false;
  auto it =
      std::search(sql.begin(), sql.end(), kVariable.begin(), kVariable.end(),
                  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  if (it == sql.end()) return false;
  auto tokens = sql::significant_tokens(sql);
  if (!tokens.empty() && tokens.back().text == ";") tokens.pop_back();
  return tokens.size() == 4 && sql::is_word(tokens[0], "select") &&
         tokens[1].kind == sql::TokenKind::kSystemVariable &&
         sql::iequals(tokens[1].text, "@@version_comment") && sql::is_word(tokens[2], "limit") &&
         tokens[3].text == "1";
}

namespace {

// The collations clients name in their handshake most often; others are
// reported as the server's default, utf8mb4.
std::pair<std::string, std::string> charset_names(uint8_t id) {
  switch (id) {
    case 8:
      return {"latin1", "latin1_swedish_ci"};
    case 33:
      return {"utf8mb3", "utf8mb3_general_ci"};
    case 46:
      return {"utf8mb4", "utf8mb4_bin"};
    case 63:
      return {"binary", "binary"};
    case 224:
      return {"utf8mb4", "utf8mb4_unicode_ci"};
    case 255:
      return {"utf8mb4", "utf8mb4_0900_ai_ci"};
    default:
      return {"utf8mb4", "utf8mb4_general_ci"};
  }
}

std::string system_time_zone() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  return local.tm_zone ? std::string(local.tm_zone) : "UTC";
}

std::string host_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return "localhost";
  return name.data();
}

}  // namespace

Result<std::optional<sql::LocalAnswer>> answer_locally(std::string_view sql, bool has_backend,
                                                       sql::SessionVariables& variables,
                                                       const sql::SessionInfo& info) {
  if (has_backend && !is_banner_query(sql)) return std::nullopt;
  return sql::answer_session_query(sql, variables, info);
}

sql::SessionDefaults session_defaults(std::string version, uint8_t client_charset,
                                      uint64_t max_allowed_packet, uint16_t port) {
  sql::SessionDefaults d;
  d.version = std::move(version);
  d.max_allowed_packet = max_allowed_packet;
  auto [charset, collation] = charset_names(client_charset);
  d.character_set = std::move(charset);
  d.collation = std::move(collation);
  d.system_time_zone = system_time_zone();
  d.hostname = host_name();
  d.port = port;
  return d;
}

}  // namespace gp::frontend
