#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "backend/session_impl.h"
#include "core/coroutine_warnings.h"
#include "mysql/prepared.h"

namespace gp::backend {

namespace {

// Frame header (4) + the fixed part of a COM_STMT_PREPARE_OK (0x00, id,
// column and parameter counts): enough to read and replace the id.
constexpr size_t kPrepareIdEnd = 13;

}  // namespace

asio::awaitable<RelayResult> relay_response(BackendConnection& conn, ResponseTracker& tracker,
                                            ClientStream& client,
                                            std::optional<uint32_t> client_statement_id) {
  RelayResult result;
  // Held back until the statement id has been read and replaced.
  std::string head;
  bool rewriting = client_statement_id.has_value();
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
    // Bytes beyond the response were never asked for: the connection cannot be trusted.
    if (used < n) conn.mark_broken();
    std::string_view chunk(conn.buffer_view(to_client).data(), to_client);
    if (rewriting) {
      head.append(chunk);
      if (head.size() < kPrepareIdEnd && !tracker.done()) continue;
      rewriting = false;
      if (head.size() >= kPrepareIdEnd) {
        // The first frame's payload starts after its 4-byte header.
        std::string first = head.substr(4, kPrepareIdEnd - 4);
        if (auto header = mysql::parse_prepare_ok_header(first)) {
          result.backend_statement_id = header->statement_id;
          result.backend_statement_params = header->num_params;
          mysql::set_prepare_ok_statement_id(first, *client_statement_id);
          head.replace(4, first.size(), first);
        }
      }
      chunk = head;
    }
    if (!chunk.empty()) {
      std::error_code wec;
      co_await client.write(asio::buffer(chunk.data(), chunk.size()), wec);
      if (wec) {
        result.client_error = wec;
        conn.mark_broken();  // the rest of the response will never be read
        co_return result;
      }
      result.relayed = true;
    }
    if (!rewriting) head.clear();
  }
  co_return result;
}

}  // namespace gp::backend
