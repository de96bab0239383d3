// BackendConnection::open: TCP connect, greeting, capability negotiation and
// the authentication exchange.
#include <spdlog/spdlog.h>

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "backend/auth_client.h"
#include "backend/connection.h"
#include "backend/server_pool.h"
#include "core/coroutine_warnings.h"
#include "mysql/auth.h"
#include "mysql/handshake.h"
#include "mysql/messages.h"
#include "mysql/packet.h"
#include "mysql/protocol.h"

namespace gp::backend {

namespace {

namespace cap = mysql::cap;

constexpr uint32_t kRequired = cap::kProtocol41 | cap::kSecureConnection | cap::kPluginAuth;

// caching_sha2_password's AuthMoreData codes.
constexpr char kFastAuthOk = 0x03;
constexpr char kFullAuthNeeded = 0x04;
constexpr char kRequestPublicKey = 0x02;

std::string where(const ConnectParams& p) {
  return p.host + ":" + std::to_string(p.port);
}

std::unexpected<ConnectError> unreachable(const ConnectParams& p, std::string why) {
  return std::unexpected(ConnectError{
      Error::make(errc::kBackendUnavailable, "cannot connect to backend " + where(p) + ": " + why),
      true});
}

std::unexpected<ConnectError> refused(const ConnectParams& p, Error e) {
  e.message = "backend " + where(p) + ": " + e.message;
  return std::unexpected(ConnectError{std::move(e), false});
}

std::string capability_name(uint32_t flag) {
  return flag == cap::kDeprecateEof ? "CLIENT_DEPRECATE_EOF" : "CLIENT_SESSION_TRACK";
}

}  // namespace

asio::awaitable<std::expected<std::unique_ptr<BackendConnection>, ConnectError>>
BackendConnection::open(asio::any_io_executor executor, const ConnectParams& params,
                        ConnectionState state) {
  auto started = Clock::now();
  asio::ip::tcp::resolver resolver(executor);
  std::error_code ec;
  // Operands of co_await are kept free of temporaries with destructors: g++ 12
  // may destroy such temporaries twice.
  std::string service = std::to_string(params.port);
  auto endpoints = co_await resolver.async_resolve(params.host, service,
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return unreachable(params, "cannot resolve host: " + ec.message());

  // The connection object exists from here on so that its destructor gives the
  // pool slot back on every failure path.
  auto conn =
      std::make_unique<BackendConnection>(asio::ip::tcp::socket(executor), std::move(state));
  conn->deadline_.arm(params.timeout, conn->socket_);
  co_await asio::async_connect(conn->socket_, endpoints,
                               asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    conn->broken_ = true;
    co_return unreachable(params,
                          conn->deadline_.expired()
                              ? "timed out after " + std::to_string(params.timeout.count()) + " ms"
                              : ec.message());
  }
  conn->socket_.set_option(asio::ip::tcp::no_delay(true), ec);

  auto timed_out = [&](const Error& e) {
    return conn->deadline_.expired()
               ? unreachable(params, "no answer within " + std::to_string(params.timeout.count()) +
                                         " ms during the handshake")
               : unreachable(params, e.message);
  };

  uint8_t seq = 0;
  auto greeting_packet = co_await conn->read_packet(seq);
  if (!greeting_packet) co_return timed_out(greeting_packet.error());
  if (mysql::is_err_packet(*greeting_packet)) {
    auto err = mysql::parse_err(*greeting_packet, 0);
    conn->broken_ = true;
    // "Too many connections", "Host is blocked": the server is up but refuses.
    co_return refused(params, err ? *err : err.error());
  }
  auto greeting = mysql::parse_handshake_v10(*greeting_packet);
  if (!greeting) {
    conn->broken_ = true;
    co_return unreachable(params, greeting.error().message);
  }
  if ((greeting->capabilities & kRequired) != kRequired) {
    conn->broken_ = true;
    co_return unreachable(params, "server does not speak protocol 4.1 with plugin authentication");
  }

  uint32_t wanted = forwarded_capabilities(params.client_capabilities) | kRequired;
  uint32_t caps = wanted & (greeting->capabilities | kRequired);
  for (uint32_t flag : {cap::kDeprecateEof, cap::kSessionTrack}) {
    if ((wanted & flag) && !(caps & flag)) {
      conn->broken_ = true;
      co_return unreachable(params,
                            "server lacks " + capability_name(flag) +
                                ", which the client negotiated; responses cannot be relayed");
    }
  }
  if (!params.database.empty()) caps |= cap::kConnectWithDb;
  if (greeting->capabilities & cap::kPluginAuthLenencData) caps |= cap::kPluginAuthLenencData;
  if (params.tls) {
    if (!(greeting->capabilities & cap::kSsl)) {
      conn->broken_ = true;
      co_return refused(params, Error::make(errc::kBackendUnavailable,
                                            "mysql_servers.use_ssl = 1, but the server does not "
                                            "offer TLS (is it started with ssl?)"));
    }
    caps |= cap::kSsl;
  }

  std::string plugin = greeting->auth_plugin;
  std::string nonce = greeting->auth_data;
  if ((plugin != mysql::kNativePassword && plugin != mysql::kCachingSha2Password) ||
      is_hashed_password(params.password)) {
    // The server will switch us to the user's plugin; start with the common one.
    plugin = std::string(mysql::kNativePassword);
  }
  auto first = auth_response(plugin, params.password, nonce, params.password_sha1);
  if (!first) {
    conn->broken_ = true;
    co_return refused(params, first.error());
  }

  mysql::HandshakeResponse41 response;
  response.capabilities = caps;
  response.charset = params.charset;
  response.username = params.username;
  response.auth_response = *first;
  response.database = params.database;
  response.auth_plugin = plugin;
  std::string out;
  ++seq;
  std::string encoded = mysql::encode_handshake_response41(response);
  if (params.tls) {
    // The SSLRequest is the response's fixed 32-byte head; the whole
    // response follows inside TLS.
    mysql::append_packet(out, seq, std::string_view(encoded).substr(0, 32));
    if (co_await conn->write(out))
      co_return unreachable(params, "connection closed during the handshake");
    auto tls = co_await conn->start_tls(params);
    if (!tls) {
      spdlog::warn("backend {}: {}", where(params), tls.error().message);
      co_return refused(params, tls.error());
    }
    out.clear();  // append_packet advanced `seq` past the SSLRequest
  }
  mysql::append_packet(out, seq, encoded);
  if (co_await conn->write(out))
    co_return unreachable(params, "connection closed during the handshake");

  bool public_key_requested = false;
  for (;;) {
    auto packet = co_await conn->read_packet(seq);
    if (!packet) co_return timed_out(packet.error());
    if (packet->empty()) co_return unreachable(params, "empty packet during authentication");
    uint8_t header = static_cast<uint8_t>((*packet)[0]);
    std::string reply;
    if (header == 0x00) {
      auto ok = mysql::parse_ok(*packet, caps);
      conn->deadline_.disarm();
      conn->state_.capabilities = caps;
      conn->state_.thread_id = greeting->connection_id;
      conn->state_.server_version = greeting->server_version;
      conn->state_.schema = params.database;
      conn->state_.schema_known = true;
      conn->state_.status_flags = ok ? ok->status_flags : 0;
      conn->state_.created = conn->state_.last_used = Clock::now();
      if (conn->state_.server && conn->is_tls()) {
        conn->state_.server->counters().conn_tls.fetch_add(1);
      }
      if (conn->state_.server) {
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
        conn->state_.server->counters().latency_us.store(static_cast<uint64_t>(us.count()));
      }
      co_return std::move(conn);
    }
    if (header == 0xff) {
      auto err = mysql::parse_err(*packet, caps);
      conn->broken_ = true;
      co_return refused(params, err ? *err : err.error());
    }
    if (header == 0xfe) {
      auto sw = mysql::parse_auth_switch_request(*packet);
      if (!sw) co_return unreachable(params, sw.error().message);
      plugin = sw->plugin;
      nonce = sw->data;
      auto r = auth_response(plugin, params.password, nonce, params.password_sha1);
      if (!r) {
        conn->broken_ = true;
        co_return refused(params, r.error());
      }
      reply = std::move(*r);
    } else if (header == 0x01 && plugin == mysql::kCachingSha2Password) {
      std::string_view data = std::string_view(*packet).substr(1);
      if (public_key_requested) {
        auto encrypted = rsa_encrypt_password(data, params.password, nonce);
        if (!encrypted) {
          conn->broken_ = true;
          co_return refused(params, encrypted.error());
        }
        reply = std::move(*encrypted);
      } else if (data.size() == 1 && data[0] == kFastAuthOk) {
        continue;  // the OK follows
      } else if (data.size() == 1 && data[0] == kFullAuthNeeded && conn->is_tls()) {
        reply = params.password;
        reply.push_back('\0');
      } else if (data.size() == 1 && data[0] == kFullAuthNeeded) {
        // Without TLS the password never travels in clear text: ask for the
        // server's RSA key.
        public_key_requested = true;
        reply.assign(1, kRequestPublicKey);
      } else {
        co_return unreachable(params, "unexpected caching_sha2_password message");
      }
    } else {
      co_return unreachable(params, "unexpected packet during authentication");
    }
    out.clear();
    ++seq;
    mysql::append_packet(out, seq, reply);
    if (co_await conn->write(out)) {
      co_return unreachable(params, "connection closed during authentication");
    }
  }
}

}  // namespace gp::backend
