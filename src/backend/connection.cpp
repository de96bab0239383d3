#include "backend/connection.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "backend/auth_client.h"
#include "backend/server_pool.h"
#include "core/coroutine_warnings.h"
#include "mysql/handshake.h"
#include "mysql/messages.h"
#include "mysql/packet.h"
#include "mysql/protocol.h"

namespace gp::backend {

namespace {

namespace cap = mysql::cap;

constexpr size_t kBufferSize = 64 * 1024;
constexpr size_t kMaxPacket = size_t{1} << 30;
constexpr char kQuitCommand[] = {1, 0, 0, 0, 0x01};

constexpr uint32_t kForwarded = cap::kLongPassword | cap::kFoundRows | cap::kLongFlag |
                                cap::kNoSchema | cap::kOdbc | cap::kIgnoreSpace | cap::kProtocol41 |
                                cap::kInteractive | cap::kTransactions | cap::kMultiStatements |
                                cap::kMultiResults | cap::kPsMultiResults | cap::kSessionTrack |
                                cap::kDeprecateEof;

void quit_and_close(int fd) {
  // The server logs an aborted connection for a plain close; a COM_QUIT that
  // fits in the socket buffer avoids it, and never blocks.
  [[maybe_unused]] auto n =
      ::send(fd, kQuitCommand, sizeof kQuitCommand, MSG_DONTWAIT | MSG_NOSIGNAL);
  ::close(fd);
}

}  // namespace

uint32_t forwarded_capabilities(uint32_t client_capabilities) {
  return client_capabilities & kForwarded;
}

BackendConnection::BackendConnection(asio::ip::tcp::socket socket, ConnectionState state)
    : socket_(std::move(socket)),
      state_(std::move(state)),
      deadline_(socket_.get_executor()),
      buffer_(kBufferSize) {}

BackendConnection::~BackendConnection() {
  deadline_.disarm();
  // A plain COM_QUIT is not valid inside TLS: the connection just closes.
  if (tls_) broken_ = true;
  if (socket_.is_open()) {
    std::error_code ec;
    int fd = socket_.release(ec);
    if (!ec) {
      if (!broken_) {
        quit_and_close(fd);
      } else {
        ::close(fd);
      }
    }
  }
  if (state_.server) {
    if (checked_out_) state_.server->on_checkin();
    state_.server->on_closed();
  }
}

IdleConnection BackendConnection::detach() {
  deadline_.disarm();
  bool ipv6 = socket_.local_endpoint().protocol() == asio::ip::tcp::v6();
  int fd = socket_.release();
  return IdleConnection(fd, ipv6, std::move(state_));
}

std::unique_ptr<BackendConnection> BackendConnection::adopt(IdleConnection idle,
                                                            asio::any_io_executor executor) {
  asio::ip::tcp::socket socket(executor);
  bool ipv6 = idle.ipv6();
  int fd = idle.release_fd();
  std::error_code ec;
  socket.assign(ipv6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), fd, ec);
  if (ec) {
    ::close(fd);
    return nullptr;  // the state (and its slot) goes with `idle`
  }
  return std::make_unique<BackendConnection>(std::move(socket), std::move(idle.state()));
}

asio::awaitable<Result<void>> BackendConnection::start_tls(const ConnectParams& params) {
  tls_context_ = params.tls;
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *tls_context_);
  std::error_code ec;
  co_await tls_->async_handshake(asio::ssl::stream_base::client,
                                 asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_return Result<void>{};
  broken_ = true;
  std::string why = ec.message();
  long verify = SSL_get_verify_result(tls_->native_handle());
  if (verify != X509_V_OK) {
    why = std::string("server certificate verification failed: ") +
          X509_verify_cert_error_string(verify) + " (mysql-ssl_p2s_ca=" + params.tls_ca + ")";
  }
  co_return make_error(errc::kBackendUnavailable, "TLS handshake failed: " + why);
}

asio::awaitable<std::error_code> BackendConnection::write(std::string_view bytes) {
  std::error_code ec;
  if (tls_) {
    co_await asio::async_write(*tls_, asio::buffer(bytes.data(), bytes.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec) broken_ = true;
  co_return ec;
}

asio::awaitable<std::error_code> BackendConnection::send_command(std::string_view payload) {
  std::string out;
  uint8_t seq = 0;
  mysql::append_packet(out, seq, payload);
  co_return co_await write(out);
}

asio::awaitable<std::pair<std::error_code, size_t>> BackendConnection::read_some() {
  std::error_code ec;
  size_t n = 0;
  if (tls_) {
    n = co_await tls_->async_read_some(asio::buffer(buffer_),
                                       asio::redirect_error(asio::use_awaitable, ec));
  } else {
    n = co_await socket_.async_read_some(asio::buffer(buffer_),
                                         asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec) broken_ = true;
  co_return std::pair{ec, n};
}

asio::awaitable<Result<std::string>> BackendConnection::read_packet(uint8_t& seq) {
  for (;;) {
    std::string payload;
    size_t pos = pending_pos_;
    while (pending_.size() - pos >= 4) {
      auto* h = reinterpret_cast<const uint8_t*>(pending_.data() + pos);
      size_t len = h[0] | (h[1] << 8) | (h[2] << 16);
      if (pending_.size() - pos - 4 < len) break;
      if (payload.size() + len > kMaxPacket) {
        broken_ = true;
        co_return make_error(errc::kNetPacketTooLarge, "backend packet too large");
      }
      payload.append(pending_, pos + 4, len);
      seq = h[3];
      pos += 4 + len;
      if (len < mysql::kMaxPacketPayload) {
        pending_pos_ = pos;
        if (pending_pos_ == pending_.size()) {
          pending_.clear();
          pending_pos_ = 0;
        }
        co_return payload;
      }
    }
    if (pending_pos_ > kBufferSize && pending_pos_ * 2 > pending_.size()) {
      pending_.erase(0, pending_pos_);
      pending_pos_ = 0;
    }
    auto [ec, n] = co_await read_some();
    if (ec) {
      co_return make_error(errc::kBackendLost, deadline_.expired()
                                                   ? std::string("backend timed out")
                                                   : "lost connection to backend: " + ec.message());
    }
    pending_.append(buffer_.data(), n);
  }
}

asio::awaitable<Result<std::string>> BackendConnection::simple_command(std::string_view payload) {
  if (auto ec = co_await send_command(payload)) {
    co_return make_error(errc::kBackendLost, "lost connection to backend: " + ec.message());
  }
  uint8_t seq = 0;
  co_return co_await read_packet(seq);
}

IdleConnection& IdleConnection::operator=(IdleConnection&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    ipv6_ = other.ipv6_;
    state_ = std::move(other.state_);
  }
  return *this;
}

IdleConnection::~IdleConnection() {
  close();
}

void IdleConnection::close() {
  if (fd_ >= 0) quit_and_close(std::exchange(fd_, -1));
  if (state_.server) {
    state_.server->on_closed();
    state_.server.reset();
  }
}

bool BackendConnection::idle_alive() {
  if (!usable() || has_unread_bytes()) return false;
  char byte;
  ssize_t n = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

bool IdleConnection::alive() const {
  char byte;
  ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace gp::backend
