// A client connection seen as a stream of MySQL packets. Thread affinity: the
// owning session's executor only.
#pragma once

#include <array>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <system_error>

#include "core/client_stream.h"
#include "core/error.h"
#include "mysql/packet.h"

namespace gp::frontend {

// How long a session that ends on a protocol error keeps reading (and
// dropping) input after its error packet; see discard_input().
inline constexpr std::chrono::milliseconds kDiscardOnError{500};

class PacketChannel {
 public:
  PacketChannel(asio::ip::tcp::socket socket, size_t max_payload);

  // The next logical packet. Fails when the peer closes (kBackendLost, never
  // sent to anyone: `closed()` tells a clean close apart) or sends a packet
  // over the size limit.
  asio::awaitable<Result<std::string>> read();

  // One frame read without reading ahead: the client's answer to the
  // greeting, which may be an SSLRequest followed at once by the TLS
  // ClientHello (libmariadb sends both without waiting), and those bytes
  // must reach the TLS engine, not the packet reader. Frames longer than
  // the current limit fail with kNetPacketTooLarge.
  asio::awaitable<Result<std::string>> read_first_frame();

  // Queues one packet with the next sequence id; flush() writes the queue.
  // (Writing is split so that callers never pass temporaries into a co_await
  // expression, which g++ 12 may destroy twice.)
  void queue(std::string_view payload);
  // Queues pre-framed bytes whose sequence ids the caller advanced in `seq()`.
  std::string& out() { return out_; }
  asio::awaitable<std::error_code> flush();

  void set_max_payload(size_t max_payload) {
    max_payload_ = max_payload;
    reader_.set_max_payload(max_payload);
  }

  // Ends the sending side and reads (and drops) what the peer is still
  // sending, for at most `limit`: closing a socket with unread input resets
  // the connection, and the peer would lose the error just sent.
  asio::awaitable<void> discard_input(std::chrono::milliseconds limit);

  uint8_t& seq() { return seq_; }
  bool closed() const { return closed_; }
  asio::ip::tcp::socket& socket() { return stream_.socket(); }
  ClientStream& stream() { return stream_; }
  bool is_tls() const { return stream_.is_tls(); }

  // After an SSLRequest: the TLS handshake. Input the client sent beyond
  // the SSLRequest would bypass TLS, so it fails the handshake.
  asio::awaitable<std::error_code> start_tls(std::shared_ptr<asio::ssl::context> context);
  std::string peer() const { return peer_; }

  // Bytes already received but not yet consumed as packets (pipelining).
  bool has_buffered_input() const { return reader_.buffered() > 0; }

 private:
  ClientStream stream_;
  mysql::PacketReader reader_;
  size_t max_payload_;
  std::array<char, 16384> buffer_;
  std::string out_;
  uint8_t seq_ = 0;
  bool closed_ = false;
  std::string peer_;
};

}  // namespace gp::frontend
