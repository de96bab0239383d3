#include "core/client_stream.h"

#include <openssl/ssl.h>

#include "core/coroutine_warnings.h"

namespace gp {

asio::awaitable<std::error_code> ClientStream::accept_tls(
    std::shared_ptr<asio::ssl::context> context) {
  context_ = std::move(context);
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket>>(std::move(socket_), *context_);
  std::error_code ec;
  co_await tls_->async_handshake(asio::ssl::stream_base::server,
                                 asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

std::string ClientStream::tls_version() const {
  if (!tls_) return {};
  const char* v = SSL_get_version(const_cast<SSL*>(tls_->native_handle()));
  return v ? v : "";
}

}  // namespace gp
