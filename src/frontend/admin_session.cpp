#include "frontend/admin_session.h"

#include <spdlog/spdlog.h>

#include "frontend/packet_channel.h"
#include "frontend/server_auth.h"
#include "mysql/messages.h"
#include "mysql/protocol.h"

namespace gp::frontend {

std::optional<std::string> admin_password(std::string_view credentials, std::string_view user) {
  size_t start = 0;
  while (start <= credentials.size()) {
    size_t end = credentials.find(';', start);
    if (end == std::string_view::npos) end = credentials.size();
    std::string_view pair = credentials.substr(start, end - start);
    start = end + 1;
    size_t colon = pair.find(':');
    if (colon == std::string_view::npos) continue;
    if (pair.substr(0, colon) == user) return std::string(pair.substr(colon + 1));
  }
  return std::nullopt;
}

asio::awaitable<void> run_admin_session(asio::ip::tcp::socket socket, SessionContext& context) {
  struct Connected {
    explicit Connected(FrontendCounters& c) : counters(c) {
      counters.admin_connections_connected.fetch_add(1, std::memory_order_relaxed);
    }
    ~Connected() { counters.admin_connections_connected.fetch_sub(1, std::memory_order_relaxed); }
    FrontendCounters& counters;
  } connected(context.counters);

  PacketChannel channel(std::move(socket), 1u << 26);
  auto config = context.config.current();
  GreetingOptions greeting{context.server_version(*config) + "-genaiproxy-admin",
                           context.next_connection_id.fetch_add(1),
                           std::chrono::milliseconds(config->mysql.connect_timeout_client_ms)};
  PasswordLookup lookup = [&](const std::string& user) {
    return admin_password(context.config.current()->admin.admin_credentials, user);
  };
  auto client = co_await authenticate_client(channel, greeting, lookup);
  if (!client) co_return;
  channel.set_max_payload(1u << 26);
  const uint32_t caps = client->capabilities;

  for (;;) {
    auto packet = co_await channel.read();
    if (!packet) {
      if (!channel.closed()) {
        channel.queue(mysql::encode_err(packet.error(), caps));
        co_await channel.flush();
        // As on the client port: let the error arrive before the close.
        co_await channel.discard_input(kDiscardOnError);
      }
      co_return;
    }
    if (packet->empty()) co_return;
    const auto command = static_cast<mysql::Command>(static_cast<uint8_t>((*packet)[0]));
    std::error_code ec;
    if (command == mysql::Command::kQuit) co_return;
    if (command == mysql::Command::kPing || command == mysql::Command::kInitDb ||
        command == mysql::Command::kResetConnection) {
      mysql::OkPacket ok;
      ok.status_flags = mysql::status::kAutocommit;
      channel.queue(mysql::encode_ok(ok, caps));
      ec = co_await channel.flush();
    } else if (command == mysql::Command::kQuery) {
      // The admin store is SQLite: statements are short and run inline on the
      // admin thread, which serves no client traffic.
      auto result = context.admin.execute(std::string_view(*packet).substr(1));
      if (result) {
        mysql::append_query_result(channel.out(), channel.seq(), *result, caps,
                                   mysql::status::kAutocommit);
        ec = co_await channel.flush();
      } else {
        channel.queue(mysql::encode_err(result.error(), caps));
        ec = co_await channel.flush();
      }
    } else {
      Error error{errc::kUnknownCommand, "08S01",
                  "command " + std::to_string(static_cast<int>((*packet)[0])) +
                      " is not supported on the admin interface"};
      channel.queue(mysql::encode_err(error, caps));
      ec = co_await channel.flush();
    }
    if (ec) co_return;
  }
}

}  // namespace gp::frontend
