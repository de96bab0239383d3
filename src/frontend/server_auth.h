// The server side of the connection phase: greeting, HandshakeResponse41,
// mysql_native_password / caching_sha2_password (fast path) and
// AuthSwitchRequest. Ends with the OK packet, or with an ERR sent to the client.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/error.h"
#include "frontend/packet_channel.h"

namespace gp::frontend {

// Returns the stored password of an active user (plain text, or '*' + 40 hex
// digits for a mysql_native_password hash), or nullopt for an unknown user.
using PasswordLookup = std::function<std::optional<std::string>(const std::string& user)>;

struct AuthenticatedClient {
  std::string username;
  std::string database;
  uint32_t capabilities = 0;  // negotiated: client's & server's
  uint8_t charset = 45;
  // The greeting's scramble: COM_CHANGE_USER answers it again, as in MySQL.
  std::string nonce;
};

struct GreetingOptions {
  std::string server_version;
  uint32_t connection_id = 0;
  // A peer that has not logged in by then is disconnected, so that one that
  // connects and stays silent does not hold a session forever
  // (mysql-connect_timeout_client).
  std::chrono::milliseconds login_timeout{10000};
};

// On failure the ERR packet has already been sent (when the socket still
// works); the caller just closes.
asio::awaitable<Result<AuthenticatedClient>> authenticate_client(PacketChannel& channel,
                                                                 const GreetingOptions& greeting,
                                                                 const PasswordLookup& lookup);

// COM_CHANGE_USER (`payload`: the packet after its command byte) on the
// session `current`: as MySQL, the client scrambles the new password with the
// greeting's nonce; a mysql_native_password answer is checked at once, any
// other plugin is switched to mysql_native_password over the same nonce. On
// failure the ERR is sent: 1045 (a refused login) ends the session, as in
// MySQL; on success the caller resets the session and answers OK.
asio::awaitable<Result<AuthenticatedClient>> change_user(PacketChannel& channel,
                                                         std::string_view payload,
                                                         const AuthenticatedClient& current,
                                                         const PasswordLookup& lookup);

}  // namespace gp::frontend
