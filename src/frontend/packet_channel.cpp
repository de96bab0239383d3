#include "frontend/packet_channel.h"

#include <asio/buffer.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <memory>

namespace gp::frontend {

PacketChannel::PacketChannel(asio::ip::tcp::socket socket, size_t max_payload)
    : socket_(std::move(socket)), reader_(max_payload) {
  std::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  peer_ = ec ? "unknown" : ep.address().to_string();
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
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
    size_t n = co_await socket_.async_read_some(asio::buffer(buffer_),
                                                asio::redirect_error(asio::use_awaitable, ec));
    if (ec || n == 0) {
      closed_ = true;
      co_return make_error(errc::kBackendLost, "connection closed by the client");
    }
    reader_.feed(std::string_view(buffer_.data(), n));
  }
}

asio::awaitable<void> PacketChannel::discard_input(std::chrono::milliseconds limit) {
  std::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  asio::steady_timer timer(socket_.get_executor(), limit);
  auto armed = std::make_shared<bool>(true);
  timer.async_wait([this, armed](std::error_code e) {
    std::error_code ignored;
    if (!e && *armed) socket_.cancel(ignored);
  });
  constexpr size_t kMaxDiscarded = 16u << 20;
  for (size_t total = 0; total < kMaxDiscarded;) {
    size_t n = co_await socket_.async_read_some(asio::buffer(buffer_),
                                                asio::redirect_error(asio::use_awaitable, ec));
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
    co_await asio::async_write(socket_, asio::buffer(out_),
                               asio::redirect_error(asio::use_awaitable, ec));
    out_.clear();
    if (out_.capacity() > (1u << 20)) out_.shrink_to_fit();
  }
  if (ec) closed_ = true;
  co_return ec;
}

}  // namespace gp::frontend
