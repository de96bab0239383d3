// One client of the client interface: authentication, then the command loop.
// Runs as a coroutine on one network thread; everything it owns is touched
// only from that thread.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include "frontend/session_context.h"

namespace gp::frontend {

asio::awaitable<void> run_client_session(asio::ip::tcp::socket socket, SessionContext& context);

}  // namespace gp::frontend
