// The server side of the connection phase: greeting, HandshakeResponse41,
// mysql_native_password / caching_sha2_password (fast path) and
// AuthSwitchRequest. Ends with the OK packet, or with an ERR sent to the client.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
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
};

struct GreetingOptions {
  std::string server_version;
  uint32_t connection_id = 0;
};

// Closes the channel's socket when the login takes longer than `timeout`, so
// that a peer that connects and stays silent does not hold a session forever.
// Lives on the session's executor; destroying it disarms it.
class LoginTimer {
 public:
  LoginTimer(PacketChannel& channel, std::chrono::milliseconds timeout);
  ~LoginTimer();
  LoginTimer(const LoginTimer&) = delete;
  LoginTimer& operator=(const LoginTimer&) = delete;

 private:
  asio::steady_timer timer_;
  std::shared_ptr<bool> armed_;
};

// On failure the ERR packet has already been sent (when the socket still
// works); the caller just closes.
asio::awaitable<Result<AuthenticatedClient>> authenticate_client(PacketChannel& channel,
                                                                 const GreetingOptions& greeting,
                                                                 const PasswordLookup& lookup);

}  // namespace gp::frontend
