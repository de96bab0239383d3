// A client connection as a byte stream: plain TCP, or TLS once accept_tls()
// has succeeded. The plain path costs what the bare socket costs (one branch
// per operation, no extra copy or allocation). Thread affinity: the owning
// session's executor only.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <memory>
#include <string>
#include <system_error>

namespace gp {

class ClientStream {
 public:
  explicit ClientStream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

  // The TCP socket under the stream (addresses, options, waits, close).
  asio::ip::tcp::socket& socket() { return tls_ ? tls_->next_layer() : socket_; }
  bool is_tls() const { return tls_ != nullptr; }

  // The server side of a TLS handshake on the still-plain socket. `context`
  // stays with this connection: reloading certificates affects only later
  // handshakes. On failure the stream is unusable and the message says why.
  asio::awaitable<std::error_code> accept_tls(std::shared_ptr<asio::ssl::context> context);
  // "TLSv1.3" etc., empty on a plain connection.
  std::string tls_version() const;

  // Both return the awaitable of the underlying operation itself (these are
  // not coroutines), so `co_await stream.read_some(...)` is the bare
  // socket's operation on the plain path.
  asio::awaitable<size_t> read_some(asio::mutable_buffer buffer, std::error_code& ec) {
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    if (tls_) return tls_->async_read_some(buffer, token);
    return socket_.async_read_some(buffer, token);
  }
  asio::awaitable<size_t> write(asio::const_buffer buffer, std::error_code& ec) {
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    if (tls_) return asio::async_write(*tls_, buffer, token);
    return asio::async_write(socket_, buffer, token);
  }

 private:
  asio::ip::tcp::socket socket_;  // moved into tls_ by accept_tls()
  std::shared_ptr<asio::ssl::context> context_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket>> tls_;
};

}  // namespace gp
