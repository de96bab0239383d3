// One client of the admin interface: authentication against
// admin-admin_credentials, then statements run by the admin module.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include "frontend/session_context.h"

namespace gp::frontend {

asio::awaitable<void> run_admin_session(asio::ip::tcp::socket socket, SessionContext& context);

// "user:pass;user2:pass2" → the password of `user`, or nullopt.
std::optional<std::string> admin_password(std::string_view credentials, std::string_view user);

}  // namespace gp::frontend
