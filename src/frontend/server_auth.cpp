#include "frontend/server_auth.h"

#include <spdlog/spdlog.h>

#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "core/coroutine_warnings.h"
#include "mysql/auth.h"
#include "mysql/handshake.h"
#include "mysql/messages.h"
#include "mysql/protocol.h"

namespace gp::frontend {

namespace {

constexpr size_t kMaxLoginPacket = 64 * 1024;

// caching_sha2_password's AuthMoreData codes.
constexpr char kRequestPublicKey = 0x02;
constexpr char kFastAuthOk = 0x03;
constexpr char kFullAuthNeeded = 0x04;

Error access_denied(const std::string& user, const std::string& host, bool used_password) {
  return Error::make(errc::kAccessDenied,
                     "Access denied for user '" + user + "'@'" + host +
                         "' (using password: " + (used_password ? "YES" : "NO") + ")");
}

// g++ 12 may destroy a temporary twice when it is an argument inside a
// co_await expression, so errors are queued by ordinary calls and only the
// argument-free flush() is awaited.
std::unexpected<Error> queue_error(PacketChannel& channel, uint32_t caps, Error error) {
  channel.queue(mysql::encode_err(error, caps | mysql::cap::kProtocol41));
  return std::unexpected(std::move(error));
}

// Clients send a NUL-terminated clear password in full authentication.
std::string without_terminator(std::string s) {
  if (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

// Closes the channel's socket when the login takes too long. Lives on the
// session's executor; destroying it disarms it.
class LoginTimer {
 public:
  LoginTimer(PacketChannel& channel, std::chrono::milliseconds timeout)
      : timer_(channel.socket().get_executor(), timeout), armed_(std::make_shared<bool>(true)) {
    // The handler may already be queued when the timer is destroyed: the
    // shared flag, not the error code, tells whether the channel still exists.
    timer_.async_wait([armed = armed_, &channel](std::error_code ec) {
      if (ec || !*armed) return;
      spdlog::info("closing a client from {} that did not log in in time", channel.peer());
      std::error_code ignored;
      channel.socket().close(ignored);
    });
  }
  ~LoginTimer() {
    *armed_ = false;
    timer_.cancel();
  }
  LoginTimer(const LoginTimer&) = delete;
  LoginTimer& operator=(const LoginTimer&) = delete;

 private:
  asio::steady_timer timer_;
  std::shared_ptr<bool> armed_;
};

// caching_sha2_password's full authentication: the client sends its
// password in clear over TLS, or encrypted with the server's RSA public key
// (asking for the key first unless it has it). Returns the clear password;
// on failure the ERR has been sent when the socket still works.
asio::awaitable<Result<std::string>> receive_clear_password(PacketChannel& channel,
                                                            const std::string& nonce,
                                                            const AuthSettings& settings,
                                                            uint32_t caps) {
  channel.queue(mysql::encode_auth_more_data(std::string(1, kFullAuthNeeded)));
  if (co_await channel.flush()) {
    co_return make_error(errc::kHandshakeError, "client went away during authentication");
  }
  auto packet = co_await channel.read();
  if (!packet) co_return std::unexpected(packet.error());
  if (channel.is_tls()) co_return without_terminator(std::move(*packet));
  if (!settings.rsa_key) {
    auto error = queue_error(
        channel, caps,
        Error::make(errc::kAccessDenied,
                    "caching_sha2_password full authentication needs TLS or the server's RSA "
                    "public key, and this interface has neither; connect with TLS"));
    co_await channel.flush();
    co_return error;
  }
  if (packet->size() == 1 && (*packet)[0] == kRequestPublicKey) {
    channel.queue(mysql::encode_auth_more_data(settings.rsa_key->public_pem()));
    if (co_await channel.flush()) {
      co_return make_error(errc::kHandshakeError, "client went away during authentication");
    }
    packet = co_await channel.read();
    if (!packet) co_return std::unexpected(packet.error());
  }
  auto clear = settings.rsa_key->decrypt_password(*packet, nonce);
  if (!clear) {
    auto error = queue_error(channel, caps, clear.error());
    co_await channel.flush();
    co_return error;
  }
  co_return std::move(*clear);
}

}  // namespace

asio::awaitable<Result<VerifiedUser>> verify_credentials(PacketChannel& channel,
                                                         const std::string& nonce,
                                                         const ClientCredentials& credentials,
                                                         const AuthSettings& settings,
                                                         uint32_t caps) {
  const std::string& user = credentials.username;
  std::optional<StoredUser> stored = settings.lookup(user);
  const std::string stored_password = stored ? stored->password : std::string();
  const bool hashed = stored && mysql::is_native_hash(stored_password);
  std::string plugin =
      credentials.plugin.empty() ? std::string(mysql::kNativePassword) : credentials.plugin;
  std::string auth_response = credentials.auth_response;
  const bool can_switch = (caps & mysql::cap::kPluginAuth) != 0;

  // libmariadb clients that chose caching_sha2_password answer a
  // mysql_native_password greeting with nothing and wait for a switch; other
  // plugins are switched to mysql_native_password, which every client has.
  const bool empty_sha2 = plugin == mysql::kCachingSha2Password && auth_response.empty() &&
                          stored && !stored_password.empty();
  const bool known = plugin == mysql::kNativePassword || plugin == mysql::kCachingSha2Password;
  if (can_switch && (empty_sha2 || !known)) {
    if (!known) plugin = std::string(mysql::kNativePassword);
    mysql::AuthSwitchRequest sw{plugin, nonce};
    channel.queue(mysql::encode_auth_switch_request(sw));
    if (co_await channel.flush()) {
      co_return make_error(errc::kHandshakeError, "client went away during auth switch");
    }
    auto switched = co_await channel.read();
    if (!switched) co_return std::unexpected(switched.error());
    auth_response = std::move(*switched);
  }

  bool ok = false;
  bool used_password = !auth_response.empty();
  VerifiedUser verified;
  if (plugin == mysql::kCachingSha2Password && stored && (hashed || !auth_response.empty())) {
    if (!hashed) {
      ok = mysql::caching_sha2_verify(stored_password, nonce, auth_response);
      if (ok) channel.queue(mysql::encode_auth_more_data(std::string(1, kFastAuthOk)));
    } else {
      // A SHA-256 scramble cannot be checked against a SHA-1 hash: the
      // client sends the password itself (TLS or RSA) instead.
      auto clear = co_await receive_clear_password(channel, nonce, settings, caps);
      if (!clear) co_return std::unexpected(clear.error());
      used_password = !clear->empty();
      ok = mysql::clear_password_matches(stored_password, *clear);
      if (ok) verified.password_sha1 = mysql::native_password_stage1_of(*clear);
    }
  } else if (plugin == mysql::kCachingSha2Password) {
    ok = stored && mysql::caching_sha2_verify(stored_password, nonce, auth_response);
  } else {
    ok = stored && mysql::native_password_verify(stored_password, nonce, auth_response);
    if (ok && hashed) {
      verified.password_sha1 =
          mysql::native_password_stage1(stored_password, nonce, auth_response).value_or("");
    }
  }
  if (ok && stored->require_tls && !channel.is_tls()) {
    spdlog::info("user '{}' from {} refused: mysql_users.use_ssl requires TLS", user,
                 channel.peer());
    ok = false;
  }
  if (!ok) {
    spdlog::info("authentication failed for user '{}' from {}", user, channel.peer());
    auto error = queue_error(channel, caps, access_denied(user, channel.peer(), used_password));
    co_await channel.flush();
    co_return error;
  }
  co_return verified;
}

asio::awaitable<Result<AuthenticatedClient>> authenticate_client(PacketChannel& channel,
                                                                 const GreetingOptions& greeting,
                                                                 const AuthSettings& settings) {
  LoginTimer login_timer(channel, greeting.login_timeout);
  // Login packets are small; a larger limit applies once the client is known.
  channel.set_max_payload(kMaxLoginPacket);
  const std::string nonce = mysql::make_nonce();
  uint32_t server_caps = mysql::kServerCapabilities;
  if (greeting.tls) server_caps |= mysql::cap::kSsl;
  mysql::HandshakeV10 hs;
  hs.server_version = greeting.server_version;
  hs.connection_id = greeting.connection_id;
  hs.auth_data = nonce;
  hs.capabilities = server_caps;
  hs.charset = mysql::charset::kUtf8mb4GeneralCi;
  hs.status_flags = mysql::status::kAutocommit;
  hs.auth_plugin = std::string(mysql::kNativePassword);
  channel.seq() = 0;
  channel.queue(mysql::encode_handshake_v10(hs));
  if (co_await channel.flush()) {
    co_return make_error(errc::kHandshakeError, "client went away during handshake");
  }

  auto packet = co_await channel.read_first_frame();
  if (packet && mysql::is_ssl_request(*packet)) {
    if (!greeting.tls) {
      auto error =
          queue_error(channel, mysql::cap::kProtocol41,
                      Error::make(errc::kHandshakeError,
                                  "TLS is not available on this interface (mysql-have_ssl / "
                                  "admin-have_ssl is off); connect without SSL"));
      co_await channel.flush();
      co_return error;
    }
    auto tls_error = co_await channel.start_tls(greeting.tls);
    if (tls_error) {
      spdlog::info("TLS handshake with {} failed: {}", channel.peer(), tls_error.message());
      co_return make_error(errc::kHandshakeError, "TLS handshake failed: " + tls_error.message());
    }
    packet = co_await channel.read();
  }
  if (!packet) {
    if (packet.error().code != errc::kNetPacketTooLarge) co_return std::unexpected(packet.error());
    auto error = queue_error(channel, mysql::cap::kProtocol41, packet.error());
    co_await channel.flush();
    co_await channel.discard_input(kDiscardOnError);
    co_return error;
  }
  auto response = mysql::parse_handshake_response41(*packet);
  if (!response) {
    auto error = queue_error(channel, mysql::cap::kProtocol41, response.error());
    co_await channel.flush();
    co_return error;
  }
  const uint32_t caps = response->capabilities & server_caps;
  if (!(caps & mysql::cap::kProtocol41)) {
    auto error = queue_error(
        channel, mysql::cap::kProtocol41,
        Error::make(errc::kHandshakeError,
                    "Bad handshake: clients older than protocol 4.1 are not supported"));
    co_await channel.flush();
    co_return error;
  }

  ClientCredentials credentials{response->username, response->auth_plugin, response->auth_response};
  auto verified = co_await verify_credentials(channel, nonce, credentials, settings, caps);
  if (!verified) co_return std::unexpected(verified.error());

  mysql::OkPacket okp;
  okp.status_flags = mysql::status::kAutocommit;
  channel.queue(mysql::encode_ok(okp, caps));
  if (co_await channel.flush()) {
    co_return make_error(errc::kHandshakeError, "client went away after auth");
  }
  AuthenticatedClient client;
  client.username = response->username;
  client.database = response->database;
  client.capabilities = caps & ~mysql::cap::kSsl;
  client.charset = response->charset;
  client.tls = channel.is_tls();
  client.password_sha1 = std::move(verified->password_sha1);
  client.nonce = nonce;
  co_return client;
}

asio::awaitable<Result<AuthenticatedClient>> change_user(PacketChannel& channel,
                                                         std::string_view payload,
                                                         const AuthenticatedClient& current,
                                                         const AuthSettings& settings) {
  const uint32_t caps = current.capabilities;
  auto request = mysql::parse_change_user(payload, caps);
  if (!request) {
    auto error = queue_error(channel, caps, request.error());
    co_await channel.flush();
    co_return error;
  }
  ClientCredentials credentials{request->username, request->auth_plugin, request->auth_response};
  auto verified = co_await verify_credentials(channel, current.nonce, credentials, settings, caps);
  if (!verified) {
    spdlog::info("COM_CHANGE_USER failed for user '{}' from {}", request->username, channel.peer());
    co_return std::unexpected(verified.error());
  }
  AuthenticatedClient client;
  client.username = request->username;
  client.database = request->database;
  client.capabilities = caps;
  client.charset =
      request->charset != 0 ? static_cast<uint8_t>(request->charset & 0xff) : current.charset;
  client.tls = current.tls;
  client.password_sha1 = std::move(verified->password_sha1);
  client.nonce = current.nonce;
  co_return client;
}

}  // namespace gp::frontend
