// The server side of the connection phase: greeting, optional TLS
// (SSLRequest, handshake), HandshakeResponse41, then the password check of
// the plugin the client chose: mysql_native_password, caching_sha2_password
// (fast path; full authentication over TLS or with the RSA public key) and
// AuthSwitchRequest for any other first response. Ends with the OK packet,
// or with an ERR sent to the client.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ssl/context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "frontend/packet_channel.h"
#include "mysql/rsa_key.h"

namespace gp::frontend {

struct StoredUser {
  std::string password;      // plain text, or '*' + 40 hex digits (mysql_native_password hash)
  bool require_tls = false;  // mysql_users.use_ssl
};

// The stored credentials of an active user, or nullopt for an unknown user.
using UserLookup = std::function<std::optional<StoredUser>(const std::string& user)>;

struct AuthSettings {
  UserLookup lookup;
  // For caching_sha2_password's full authentication without TLS; without a
  // key such clients are refused with a message saying to use TLS.
  std::shared_ptr<const mysql::RsaKeyPair> rsa_key;
};

// What a client sent to log in: from a HandshakeResponse41, or the fields
// of a COM_CHANGE_USER.
struct ClientCredentials {
  std::string username;
  std::string plugin;  // empty: mysql_native_password
  std::string auth_response;
};

struct VerifiedUser {
  // SHA1(password) when the user is stored as a mysql_native_password hash
  // and the exchange revealed it (native scramble or clear password): with
  // it the proxy logs in to mysql_native_password backends. Empty otherwise.
  std::string password_sha1;
};

// Checks `credentials` against the stored user for `nonce` (the scramble the
// client answered), running whatever exchange the plugin needs
// (AuthSwitchRequest, AuthMoreData) on `channel` with `caps` negotiated.
// Sends no OK: the caller queues it and flushes (a caching_sha2_password
// "fast auth ok" may already be queued before it). On failure the ERR (1045 for a wrong or
// missing password, an unknown user, or a use_ssl user without TLS) has been
// sent. Usable for COM_CHANGE_USER as well as for the handshake.
asio::awaitable<Result<VerifiedUser>> verify_credentials(PacketChannel& channel,
                                                         const std::string& nonce,
                                                         const ClientCredentials& credentials,
                                                         const AuthSettings& settings,
                                                         uint32_t caps);

struct AuthenticatedClient {
  std::string username;
  std::string database;
  uint32_t capabilities = 0;  // negotiated: client's & server's
  uint8_t charset = 45;
  bool tls = false;
  std::string password_sha1;  // see VerifiedUser
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
  // Set: CLIENT_SSL is offered and an SSLRequest starts TLS with it.
  std::shared_ptr<asio::ssl::context> tls;
};

// On failure the ERR packet has already been sent (when the socket still
// works); the caller just closes.
asio::awaitable<Result<AuthenticatedClient>> authenticate_client(PacketChannel& channel,
                                                                 const GreetingOptions& greeting,
                                                                 const AuthSettings& settings);

// COM_CHANGE_USER (`payload`: the packet after its command byte) on the
// session `current`: as MySQL, the client scrambles the new password with the
// greeting's nonce, and verify_credentials checks it as at login (plugin
// switches included, over the same nonce). On failure the ERR is sent: 1045
// (a refused login) ends the session, as in MySQL; on success the caller
// resets the session and answers OK.
asio::awaitable<Result<AuthenticatedClient>> change_user(PacketChannel& channel,
                                                         std::string_view payload,
                                                         const AuthenticatedClient& current,
                                                         const AuthSettings& settings);

}  // namespace gp::frontend
