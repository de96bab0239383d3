#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "backend/coroutine_warnings.h"
#include "backend/session_impl.h"

namespace gp::backend {

asio::awaitable<RelayResult> relay_response(BackendConnection& conn, ResponseTracker& tracker,
                                            asio::ip::tcp::socket& client) {
  RelayResult result;
  while (!tracker.done()) {
    auto [ec, n] = co_await conn.read_some();
    if (ec) {
      result.backend_error = ec;
      co_return result;
    }
    result.bytes += n;
    size_t used = tracker.feed(conn.buffer_view(n));
    if (tracker.protocol_error()) {
      conn.mark_broken();
      co_return result;
    }
    // A LOCAL INFILE request is answered by the proxy, never shown to the client.
    size_t to_client = tracker.local_infile_requested() ? used - tracker.last_packet_bytes() : used;
    if (to_client > 0) {
      std::error_code wec;
      co_await asio::async_write(client,
                                 asio::buffer(conn.buffer_view(to_client).data(), to_client),
                                 asio::redirect_error(asio::use_awaitable, wec));
      if (wec) {
        result.client_error = wec;
        conn.mark_broken();  // the rest of the response will never be read
        co_return result;
      }
      result.relayed = true;
    }
    // Bytes beyond the response were never asked for: the connection cannot be trusted.
    if (used < n) conn.mark_broken();
  }
  co_return result;
}

}  // namespace gp::backend
