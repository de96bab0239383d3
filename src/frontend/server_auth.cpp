#include "frontend/server_auth.h"

#include <spdlog/spdlog.h>

#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "mysql/auth.h"
#include "mysql/handshake.h"
#include "mysql/messages.h"
#include "mysql/protocol.h"

namespace gp::frontend {

namespace {

constexpr size_t kMaxLoginPacket = 64 * 1024;

bool is_native_hash(const std::string& stored) {
  return stored.size() == 41 && stored[0] == '*';
}

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

}  // namespace

asio::awaitable<Result<AuthenticatedClient>> authenticate_client(PacketChannel& channel,
                                                                 const GreetingOptions& greeting,
                                                                 const PasswordLookup& lookup) {
  LoginTimer login_timer(channel, greeting.login_timeout);
  // Login packets are small; a larger limit applies once the client is known.
  channel.set_max_payload(kMaxLoginPacket);
  const std::string nonce = mysql::make_nonce();
  mysql::HandshakeV10 hs;
  hs.server_version = greeting.server_version;
  hs.connection_id = greeting.connection_id;
  hs.auth_data = nonce;
  hs.capabilities = mysql::kServerCapabilities;
  hs.charset = mysql::charset::kUtf8mb4GeneralCi;
  hs.status_flags = mysql::status::kAutocommit;
  hs.auth_plugin = std::string(mysql::kNativePassword);
  channel.seq() = 0;
  channel.queue(mysql::encode_handshake_v10(hs));
  if (co_await channel.flush()) {
    co_return make_error(errc::kHandshakeError, "client went away during handshake");
  }

  auto packet = co_await channel.read();
  if (!packet) {
    if (packet.error().code != errc::kNetPacketTooLarge) co_return std::unexpected(packet.error());
    auto error = queue_error(channel, mysql::cap::kProtocol41, packet.error());
    co_await channel.flush();
    co_await channel.discard_input(kDiscardOnError);
    co_return error;
  }
  if (mysql::is_ssl_request(*packet)) {
    auto error =
        queue_error(channel, mysql::cap::kProtocol41,
                    Error::make(errc::kHandshakeError,
                                "TLS is not available on this interface; connect without SSL "
                                "(mariadb --skip-ssl, PyMySQL without ssl=)"));
    co_await channel.flush();
    co_return error;
  }
  auto response = mysql::parse_handshake_response41(*packet);
  if (!response) {
    auto error = queue_error(channel, mysql::cap::kProtocol41, response.error());
    co_await channel.flush();
    co_return error;
  }
  const uint32_t caps = response->capabilities & mysql::kServerCapabilities;
  if (!(caps & mysql::cap::kProtocol41)) {
    auto error = queue_error(
        channel, mysql::cap::kProtocol41,
        Error::make(errc::kHandshakeError,
                    "Bad handshake: clients older than protocol 4.1 are not supported"));
    co_await channel.flush();
    co_return error;
  }

  const std::string& user = response->username;
  std::optional<std::string> stored = lookup(user);
  std::string plugin =
      response->auth_plugin.empty() ? std::string(mysql::kNativePassword) : response->auth_plugin;
  std::string auth_response = response->auth_response;

  bool ok = false;
  bool fast_auth_ack = false;
  if (stored && plugin == mysql::kCachingSha2Password && !is_native_hash(*stored)) {
    ok = mysql::caching_sha2_verify(*stored, nonce, auth_response);
    fast_auth_ack = ok;
  } else if (plugin == mysql::kNativePassword) {
    ok = stored && mysql::native_password_verify(*stored, nonce, auth_response);
  } else {
    // Any other plugin (or caching_sha2 against a stored hash): ask the client
    // to answer the same nonce with mysql_native_password.
    mysql::AuthSwitchRequest sw{std::string(mysql::kNativePassword), nonce};
    channel.queue(mysql::encode_auth_switch_request(sw));
    if (co_await channel.flush()) {
      co_return make_error(errc::kHandshakeError, "client went away during auth switch");
    }
    auto switched = co_await channel.read();
    if (!switched) co_return std::unexpected(switched.error());
    auth_response = *switched;
    ok = stored && mysql::native_password_verify(*stored, nonce, auth_response);
  }

  if (!ok) {
    spdlog::info("authentication failed for user '{}' from {}", user, channel.peer());
    auto error =
        queue_error(channel, caps, access_denied(user, channel.peer(), !auth_response.empty()));
    co_await channel.flush();
    co_return error;
  }
  if (fast_auth_ack) channel.queue(mysql::encode_auth_more_data(std::string(1, '\x03')));
  mysql::OkPacket okp;
  okp.status_flags = mysql::status::kAutocommit;
  channel.queue(mysql::encode_ok(okp, caps));
  if (co_await channel.flush()) {
    co_return make_error(errc::kHandshakeError, "client went away after auth");
  }
  AuthenticatedClient client;
  client.username = user;
  client.database = response->database;
  client.capabilities = caps;
  client.charset = response->charset;
  client.nonce = nonce;
  co_return client;
}

asio::awaitable<Result<AuthenticatedClient>> change_user(PacketChannel& channel,
                                                         std::string_view payload,
                                                         const AuthenticatedClient& current,
                                                         const PasswordLookup& lookup) {
  const uint32_t caps = current.capabilities;
  auto request = mysql::parse_change_user(payload, caps);
  if (!request) {
    auto error = queue_error(channel, caps, request.error());
    co_await channel.flush();
    co_return error;
  }
  std::optional<std::string> stored = lookup(request->username);
  std::string auth_response = request->auth_response;
  bool native = request->auth_plugin.empty() || request->auth_plugin == mysql::kNativePassword;
  if (!native) {
    // The switch carries the greeting's nonce again: libmariadb and
    // libmysqlclient scramble with it during COM_CHANGE_USER whatever a
    // switch says.
    mysql::AuthSwitchRequest sw{std::string(mysql::kNativePassword), current.nonce};
    channel.queue(mysql::encode_auth_switch_request(sw));
    if (co_await channel.flush()) {
      co_return make_error(errc::kHandshakeError, "client went away during COM_CHANGE_USER");
    }
    auto answer = co_await channel.read();
    if (!answer) co_return std::unexpected(answer.error());
    auth_response = *answer;
  }
  if (!stored || !mysql::native_password_verify(*stored, current.nonce, auth_response)) {
    spdlog::info("COM_CHANGE_USER failed for user '{}' from {}", request->username, channel.peer());
    auto error = queue_error(
        channel, caps, access_denied(request->username, channel.peer(), !auth_response.empty()));
    co_await channel.flush();
    co_return error;
  }
  AuthenticatedClient client;
  client.username = request->username;
  client.database = request->database;
  client.capabilities = caps;
  client.charset =
      request->charset != 0 ? static_cast<uint8_t>(request->charset & 0xff) : current.charset;
  client.nonce = current.nonce;
  co_return client;
}

}  // namespace gp::frontend
