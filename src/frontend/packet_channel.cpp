#include "frontend/packet_channel.h"

#include <asio/buffer.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <memory>

#include "core/coroutine_warnings.h"

namespace gp::frontend {

PacketChannel::PacketChannel(asio::ip::tcp::socket socket, size_t max_payload)
    : stream_(std::move(socket)), reader_(max_payload), max_payload_(max_payload) {
  std::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  peer_ = ec ? "unknown" : ep.address().to_string();
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
}

asio::awaitable<std::error_code> PacketChannel::start_tls(
    std::shared_ptr<asio::ssl::context> context) {
  if (reader_.buffered() > 0) co_return asio::error::invalid_argument;
  auto ec = co_await stream_.accept_tls(std::move(context));
  if (ec) closed_ = true;
  co_return ec;
}

asio::awaitable<Result<std::string>> PacketChannel::read() {
  for (;;) {
    uint8_t last_seq = 0;
    auto next = reader_.next(last_seq);
    if (!next) co_return std::unexpected(next.error());
    if (*next) {
      seq_ = static_cast<uint8_t>(last_seq + 1);
      co_return std::move(**next);
    }
    std::error_code ec;
    size_t n = co_await stream_.read_some(asio::buffer(buffer_), ec);
    if (ec || n == 0) {
      closed_ = true;
      co_return make_error(errc::kBackendLost, "connection closed by the client");
    }
    reader_.feed(std::string_view(buffer_.data(), n));
  }
}

asio::awaitable<Result<std::string>> PacketChannel::read_first_frame() {
  std::array<unsigned char, 4> header{};
  std::error_code ec;
  co_await asio::async_read(stream_.socket(), asio::buffer(header),
                            asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    closed_ = true;
    co_return make_error(errc::kBackendLost, "connection closed by the client");
  }
  size_t length = header[0] | header[1] << 8 | header[2] << 16;
  if (length > max_payload_) {
    co_return make_error(errc::kNetPacketTooLarge, "Got a packet bigger than the maximum of " +
                                                       std::to_string(max_payload_) + " bytes");
  }
  std::string payload(length, '\0');
  co_await asio::async_read(stream_.socket(), asio::buffer(payload),
                            asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    closed_ = true;
    co_return make_error(errc::kBackendLost, "connection closed by the client");
  }
  seq_ = static_cast<uint8_t>(header[3] + 1);
  co_return payload;
}

asio::awaitable<void> PacketChannel::discard_input(std::chrono::milliseconds limit) {
  std::error_code ec;
  // (Over TLS the peer gets no close_notify first: it sees the error
  // packet, then the end of the stream.)
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  asio::steady_timer timer(stream_.socket().get_executor(), limit);
  auto armed = std::make_shared<bool>(true);
  timer.async_wait([this, armed](std::error_code e) {
    std::error_code ignored;
    if (!e && *armed) stream_.socket().cancel(ignored);
  });
  constexpr size_t kMaxDiscarded = 16u << 20;
  for (size_t total = 0; total < kMaxDiscarded;) {
    size_t n = co_await stream_.read_some(asio::buffer(buffer_), ec);
    if (ec || n == 0) break;
    total += n;
  }
  *armed = false;
  timer.cancel();
  closed_ = true;
}

void PacketChannel::queue(std::string_view payload) {
  mysql::append_packet(out_, seq_, payload);
}

asio::awaitable<std::error_code> PacketChannel::flush() {
  std::error_code ec;
  if (!out_.empty()) {
    co_await stream_.write(asio::buffer(out_), ec);
    out_.clear();
    if (out_.capacity() > (1u << 20)) out_.shrink_to_fit();
  }
  if (ec) closed_ = true;
  co_return ec;
}

}  // namespace gp::frontend
