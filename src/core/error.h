// Errors are values: every failure that reaches a client becomes a MySQL ERR
// packet built from one of these.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <utility>

namespace gp {

struct Error {
  uint16_t code = 0;
  std::string sqlstate = "HY000";  // always five characters
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> make_error(uint16_t code, std::string sqlstate, std::string message) {
  return std::unexpected(Error{code, std::move(sqlstate), std::move(message)});
}

// MySQL server error codes the proxy itself raises.
namespace errc {
inline constexpr uint16_t kAccessDenied = 1045;           // 28000
inline constexpr uint16_t kNoDatabase = 1046;             // 3D000
inline constexpr uint16_t kUnknownCommand = 1047;         // 08S01
inline constexpr uint16_t kBadDatabase = 1049;            // 42000
inline constexpr uint16_t kParseError = 1064;             // 42000
inline constexpr uint16_t kNotSupported = 1235;           // 42000
inline constexpr uint16_t kUnknownSystemVariable = 1193;  // HY000
inline constexpr uint16_t kWrongValueForVar = 1231;       // 42000
inline constexpr uint16_t kWrongTypeForVar = 1232;        // 42000
inline constexpr uint16_t kGlobalVariable = 1229;         // HY000 (use SET GLOBAL)
inline constexpr uint16_t kIncorrectScope = 1238;         // HY000 (read only; wrong scope)
inline constexpr uint16_t kVariableIsReadonly = 1621;     // HY000 (session value)
inline constexpr uint16_t kUnknownCharacterSet = 1115;    // 42000
inline constexpr uint16_t kUnknownCollation = 1273;       // HY000
inline constexpr uint16_t kCollationMismatch = 1253;      // 42000
inline constexpr uint16_t kMalformedPacket = 1835;        // HY000
inline constexpr uint16_t kNetPacketTooLarge = 1153;      // 08S01
inline constexpr uint16_t kHandshakeError = 1043;         // 08S01
inline constexpr uint16_t kTooManyConnections = 1040;     // 08004
inline constexpr uint16_t kServerShutdown = 1053;         // 08S01
inline constexpr uint16_t kAdminCommandFailed = 1105;     // HY000 (ER_UNKNOWN_ERROR)
// Backend forwarding (ProxySQL uses 9001 for "max connect timeout reached").
inline constexpr uint16_t kBackendUnavailable = 9001;  // HY000
inline constexpr uint16_t kBackendLost = 2013;         // HY000 (CR_SERVER_LOST, as clients know it)
}  // namespace errc

}  // namespace gp
