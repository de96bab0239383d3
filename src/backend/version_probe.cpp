#include "backend/version_probe.h"

#include <array>
#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <functional>
#include <optional>

#include "mysql/handshake.h"
#include "mysql/packet.h"

namespace gp::backend {

std::string probe_server_version(const MysqlServer& server, std::chrono::milliseconds timeout) {
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  asio::ip::tcp::socket socket(io);
  mysql::PacketReader reader(1u << 16);
  std::array<char, 4096> buffer;
  std::string version;

  std::function<void()> read_greeting = [&] {
    socket.async_read_some(asio::buffer(buffer), [&](std::error_code ec, size_t n) {
      if (ec) return;
      reader.feed(std::string_view(buffer.data(), n));
      uint8_t seq = 0;
      auto packet = reader.next(seq);
      if (!packet) return;
      if (!*packet) {
        read_greeting();
        return;
      }
      if (auto greeting = mysql::parse_handshake_v10(**packet)) version = greeting->server_version;
    });
  };
  resolver.async_resolve(server.hostname, std::to_string(server.port),
                         [&](std::error_code ec, asio::ip::tcp::resolver::results_type results) {
                           if (ec) return;
                           asio::async_connect(socket, results,
                                               [&](std::error_code cec, const auto&) {
                                                 if (!cec) read_greeting();
                                               });
                         });
  io.run_for(timeout);
  return version;
}

}  // namespace gp::backend
