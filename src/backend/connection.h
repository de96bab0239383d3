// One connection to a backend server: connect and authenticate as the
// client's user, then exchange commands. Thread affinity: the executor it was
// opened or adopted on; an idle connection in the pool is a bare descriptor
// (IdleConnection) that any thread may adopt.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "backend/deadline.h"
#include "backend/session_state.h"
#include "core/error.h"

namespace gp::backend {

class ServerPool;
using Clock = std::chrono::steady_clock;

// Connections are shared only between clients that would have negotiated the
// same connection: same user, character set and protocol-relevant flags.
struct ConnectionKey {
  std::string username;
  uint8_t charset = 45;
  uint32_t capabilities = 0;
  bool operator==(const ConnectionKey&) const = default;
};

// A statement prepared on a connection, found again by its text.
struct CachedStatement {
  uint32_t id = 0;
  uint16_t params = 0;
  bool typed = false;  // an execute has sent it parameter types
  uint64_t last_used = 0;
};

// Everything about a connection except its socket.
struct ConnectionState {
  std::shared_ptr<ServerPool> server;
  ConnectionKey key;
  uint32_t capabilities = 0;   // negotiated with the server
  uint32_t thread_id = 0;      // the server's connection id, for KILL
  std::string server_version;  // from the server's greeting
  std::string schema;
  bool schema_known = true;  // false after COM_RESET_CONNECTION
  uint16_t status_flags = 0;
  TrackedState settings;  // tracked session settings made on it (empty: its handshake's)
  std::unordered_map<std::string, CachedStatement> statements;
  uint64_t statement_clock = 0;
  std::vector<uint32_t> pending_close;
  // The session that last used it, and whether that session had autocommit
  // off (a read may have left a snapshot open without IN_TRANS).
  uint64_t last_session = 0;
  bool read_view = false;  // evicted from `statements`, closed before the next command
  Clock::time_point created;
  Clock::time_point last_used;
};

struct ConnectParams {
  std::string host;
  int port = 3306;
  std::string username;
  std::string password;
  std::string database;
  uint32_t client_capabilities = 0;
  uint8_t charset = 45;
  std::chrono::milliseconds timeout{3000};
  // Set for mysql_servers.use_ssl = 1: the client context (CA to verify the
  // server's certificate with, optional client certificate).
  std::shared_ptr<asio::ssl::context> tls;
  std::string tls_ca;  // the CA file, named in verification errors
  // SHA1(password) for a `password` stored as a mysql_native_password hash
  // (learnt from the client's login): answers mysql_native_password servers.
  std::string password_sha1;
};

// Whether a failure to open a connection says the server is unreachable (the
// server gets SHUNNED) rather than that the login was refused.
struct ConnectError {
  Error error;
  bool server_unreachable = false;
};

// The capability flags the proxy passes through from the client to its
// backend connections; the others are the proxy's own business.
uint32_t forwarded_capabilities(uint32_t client_capabilities);

class IdleConnection;

class BackendConnection {
 public:
  BackendConnection(asio::ip::tcp::socket socket, ConnectionState state);
  ~BackendConnection();  // says COM_QUIT (best effort) and closes
  BackendConnection(const BackendConnection&) = delete;
  BackendConnection& operator=(const BackendConnection&) = delete;

  // Connects, reads the greeting and authenticates (mysql_native_password,
  // caching_sha2_password with RSA full authentication, auth switches), all
  // within params.timeout. `state.server` must be set by the caller.
  static asio::awaitable<std::expected<std::unique_ptr<BackendConnection>, ConnectError>> open(
      asio::any_io_executor executor, const ConnectParams& params, ConnectionState state);

  // Re-creates a connection from the pool on `executor`.
  static std::unique_ptr<BackendConnection> adopt(IdleConnection idle,
                                                  asio::any_io_executor executor);
  // Gives the descriptor back for pooling; the object is spent afterwards.
  // Not for TLS connections: their TLS state lives in this object, so they
  // stay on their event loop (the warm cache) or close.
  IdleConnection detach();

  // Sends `payload` as one command (sequence id 0, split into frames as needed).
  asio::awaitable<std::error_code> send_command(std::string_view payload);
  asio::awaitable<std::error_code> write(std::string_view bytes);
  // Reads some bytes into buffer(); 0 bytes means an error.
  asio::awaitable<std::pair<std::error_code, size_t>> read_some();
  // One logical packet (small exchanges: handshake, COM_INIT_DB, query()).
  asio::awaitable<Result<std::string>> read_packet(uint8_t& seq);
  // Runs a command whose answer is one packet (OK or ERR) and returns that
  // packet's payload.
  asio::awaitable<Result<std::string>> simple_command(std::string_view payload);

  std::string_view buffer_view(size_t n) const { return {buffer_.data(), n}; }

  asio::ip::tcp::socket& socket() { return socket_; }
  bool is_tls() const { return tls_ != nullptr; }
  Deadline& deadline() { return deadline_; }
  ConnectionState& state() { return state_; }
  bool usable() const { return socket_.is_open() && !broken_; }
  // For a connection nobody is using: the server has not closed it or sent
  // anything unasked (a KILL, wait_timeout). One non-blocking peek.
  bool idle_alive();
  void mark_broken() { broken_ = true; }
  // Checked out of its server's pool: counted in ConnUsed until released.
  void set_checked_out(bool v) { checked_out_ = v; }
  // Bytes that arrived beyond the last packet read_packet() returned.
  bool has_unread_bytes() const { return pending_pos_ < pending_.size(); }

 private:
  // After the SSLRequest: the client side of the TLS handshake. Fails with
  // the certificate verification error when there is one.
  asio::awaitable<Result<void>> start_tls(const ConnectParams& params);

  asio::ip::tcp::socket socket_;
  std::shared_ptr<asio::ssl::context> tls_context_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  ConnectionState state_;
  Deadline deadline_;
  std::vector<char> buffer_;
  std::string pending_;  // bytes read_packet() received but has not returned yet
  size_t pending_pos_ = 0;
  bool broken_ = false;
  bool checked_out_ = false;
};

// A pooled connection: the descriptor and its state, on no executor.
class IdleConnection {
 public:
  IdleConnection(int fd, bool ipv6, ConnectionState state)
      : fd_(fd), ipv6_(ipv6), state_(std::move(state)) {}
  IdleConnection(IdleConnection&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), ipv6_(other.ipv6_), state_(std::move(other.state_)) {}
  IdleConnection& operator=(IdleConnection&& other) noexcept;
  ~IdleConnection();  // says COM_QUIT (best effort) and closes

  // False when the server closed the connection (or sent something) while idle.
  bool alive() const;
  int release_fd() { return std::exchange(fd_, -1); }
  bool ipv6() const { return ipv6_; }
  ConnectionState& state() { return state_; }
  const ConnectionState& state() const { return state_; }

 private:
  void close();
  int fd_ = -1;
  bool ipv6_ = false;
  ConnectionState state_;
};

}  // namespace gp::backend
