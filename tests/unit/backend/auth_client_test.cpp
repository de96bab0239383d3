#include "backend/auth_client.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <memory>

#include "backend/connection.h"
#include "core/coroutine_warnings.h"
#include "mysql/auth.h"
#include "mysql/handshake.h"
#include "mysql/messages.h"
#include "mysql/packet.h"
#include "mysql/protocol.h"

namespace gp::backend {
namespace {

struct RsaKey {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  ~RsaKey() { EVP_PKEY_free(key); }
  std::string public_pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<size_t>(n));
    BIO_free(bio);
    return pem;
  }
  std::string decrypt(std::string_view in) const {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key, nullptr);
    EVP_PKEY_decrypt_init(ctx);
    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING);
    size_t n = 0;
    auto* p = reinterpret_cast<const unsigned char*>(in.data());
    EVP_PKEY_decrypt(ctx, nullptr, &n, p, in.size());
    std::string out(n, '\0');
    int ok = EVP_PKEY_decrypt(ctx, reinterpret_cast<unsigned char*>(out.data()), &n, p, in.size());
    EVP_PKEY_CTX_free(ctx);
    if (ok <= 0) return "<decrypt failed>";
    out.resize(n);
    return out;
  }
};

std::string unxor(std::string s, std::string_view nonce) {
  for (size_t i = 0; i < s.size(); ++i) s[i] ^= nonce[i % nonce.size()];
  return s;
}

TEST(AuthClient, RsaEncryptedPasswordDecryptsToPasswordXorNonce) {
  RsaKey key;
  std::string nonce = "abcdefghij0123456789";
  auto encrypted = rsa_encrypt_password(key.public_pem(), "s3cret!", nonce);
  ASSERT_TRUE(encrypted) << encrypted.error().message;
  EXPECT_EQ(encrypted->size(), 256u);
  EXPECT_EQ(unxor(key.decrypt(*encrypted), nonce), std::string("s3cret!\0", 8));
}

TEST(AuthClient, BadPublicKeyIsAClearError) {
  auto r = rsa_encrypt_password("not a key", "pw", "nonce");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("public key"), std::string::npos);
}

TEST(AuthClient, ResponsesPerPlugin) {
  std::string nonce = "0123456789abcdefghij";
  EXPECT_EQ(*auth_response("mysql_native_password", "pw", nonce),
            mysql::native_password_scramble("pw", nonce));
  EXPECT_EQ(*auth_response("caching_sha2_password", "pw", nonce),
            mysql::caching_sha2_scramble("pw", nonce));
  auto unknown = auth_response("client_ed25519", "pw", nonce);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("client_ed25519"), std::string::npos);
  auto hashed =
      auth_response("mysql_native_password", "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19", nonce);
  ASSERT_FALSE(hashed);
  EXPECT_EQ(hashed.error().code, errc::kAccessDenied);
}

TEST(AuthClient, HashedPasswordAnswersNativeWithTheClientsSha1) {
  // The stored hash is SHA1(SHA1("password")); SHA1("password") is what the client's login
  // revealed.
  const std::string hash = "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19";
  std::string nonce = "0123456789abcdefghij";
  std::string sha1 = mysql::native_password_stage1_of("password");
  auto r = auth_response("mysql_native_password", hash, nonce, sha1);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, mysql::native_password_scramble("password", nonce));
  auto sha2 = auth_response("caching_sha2_password", hash, nonce, sha1);
  ASSERT_FALSE(sha2);
  EXPECT_NE(sha2.error().message.find("clear-text password"), std::string::npos);
}

// A server that speaks just enough of the connection phase to exercise the
// client side of caching_sha2_password: optional auth switch, then the fast
// path or full authentication with the RSA key.
struct FakeServer {
  enum class Mode { kFullAuth, kFastAuthAfterSwitch };
  FakeServer(asio::io_context& context, Mode m, std::string pw)
      : io(context), mode(m), password(std::move(pw)) {}
  asio::io_context& io;
  asio::ip::tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  Mode mode;
  std::string password;
  RsaKey key;
  std::string decrypted;  // what full authentication revealed
  bool scramble_ok = false;

  asio::awaitable<std::string> read(asio::ip::tcp::socket& s, uint8_t& seq) {
    char header[4];
    co_await asio::async_read(s, asio::buffer(header), asio::use_awaitable);
    size_t len = static_cast<uint8_t>(header[0]) | static_cast<uint8_t>(header[1]) << 8 |
                 static_cast<uint8_t>(header[2]) << 16;
    seq = static_cast<uint8_t>(header[3]);
    std::string payload(len, '\0');
    co_await asio::async_read(s, asio::buffer(payload), asio::use_awaitable);
    co_return payload;
  }
  asio::awaitable<void> send(asio::ip::tcp::socket& s, uint8_t seq, std::string_view payload) {
    std::string out;
    mysql::append_packet(out, seq, payload);
    co_await asio::async_write(s, asio::buffer(out), asio::use_awaitable);
  }

  asio::awaitable<void> serve() {
    auto s = co_await acceptor.async_accept(asio::use_awaitable);
    mysql::HandshakeV10 hs;
    hs.server_version = "8.0.36-fake";
    hs.connection_id = 77;
    hs.auth_data = "ABCDEFGHIJKLMNOPQRST";
    hs.capabilities = mysql::kServerCapabilities;
    hs.auth_plugin = mode == Mode::kFullAuth ? "caching_sha2_password" : "mysql_native_password";
    std::string greeting = mysql::encode_handshake_v10(hs);
    co_await send(s, 0, greeting);
    uint8_t seq;
    std::string response_packet = co_await read(s, seq);
    auto response = mysql::parse_handshake_response41(response_packet);
    if (!response) co_return;
    std::string nonce = hs.auth_data;
    std::string scramble = response->auth_response;
    if (mode == Mode::kFastAuthAfterSwitch) {
      nonce = "zyxwvutsrqponmlkjihg";
      // Named: g++ 12 destroys brace-initialised temporaries in co_await twice.
      mysql::AuthSwitchRequest request{"caching_sha2_password", nonce};
      std::string switch_packet = mysql::encode_auth_switch_request(request);
      co_await send(s, ++seq, switch_packet);
      scramble = co_await read(s, seq);
    }
    scramble_ok = mysql::caching_sha2_verify(password, nonce, scramble);
    if (mode == Mode::kFastAuthAfterSwitch) {
      std::string fast_ok = mysql::encode_auth_more_data("\x03");
      co_await send(s, ++seq, fast_ok);
    } else {
      std::string full_auth = mysql::encode_auth_more_data("\x04");
      co_await send(s, ++seq, full_auth);
      auto request = co_await read(s, seq);
      if (request != "\x02") co_return;
      std::string pem = mysql::encode_auth_more_data(key.public_pem());
      co_await send(s, ++seq, pem);
      std::string encrypted = co_await read(s, seq);
      decrypted = unxor(key.decrypt(encrypted), nonce);
    }
    mysql::OkPacket ok;
    ok.status_flags = mysql::status::kAutocommit;
    std::string ok_packet = mysql::encode_ok(ok, response->capabilities);
    co_await send(s, ++seq, ok_packet);
    char byte;
    co_await s.async_read_some(asio::buffer(&byte, 1), asio::use_awaitable);  // COM_QUIT or close
  }
};

void connect_to(FakeServer& server, bool& opened, std::string& error) {
  ConnectParams params;
  params.host = "127.0.0.1";
  params.port = server.acceptor.local_endpoint().port();
  params.username = "app";
  params.password = server.password;
  params.client_capabilities = mysql::kServerCapabilities;
  asio::co_spawn(server.io, server.serve(), asio::detached);
  asio::co_spawn(
      server.io,
      [&]() -> asio::awaitable<void> {
        // A named state: g++ 12 mishandles brace-initialised temporaries in
        // co_await expressions.
        ConnectionState state;
        auto conn =
            co_await BackendConnection::open(server.io.get_executor(), params, std::move(state));
        opened = conn.has_value();
        if (!conn) error = conn.error().error.message;
        if (conn) {
          EXPECT_EQ((*conn)->state().thread_id, 77u);
        }
      },
      asio::detached);
  server.io.run();
}

TEST(BackendConnectionAuth, CachingSha2FullAuthenticationUsesTheServersRsaKey) {
  asio::io_context io;
  FakeServer server(io, FakeServer::Mode::kFullAuth, "pässword-1");
  bool opened = false;
  std::string error;
  connect_to(server, opened, error);
  EXPECT_TRUE(opened) << error;
  EXPECT_TRUE(server.scramble_ok);
  EXPECT_EQ(server.decrypted, std::string("pässword-1") + '\0');
}

TEST(BackendConnectionAuth, AuthSwitchToCachingSha2FastPath) {
  asio::io_context io;
  FakeServer server(io, FakeServer::Mode::kFastAuthAfterSwitch, "pw");
  bool opened = false;
  std::string error;
  connect_to(server, opened, error);
  EXPECT_TRUE(opened) << error;
  EXPECT_TRUE(server.scramble_ok);
  EXPECT_TRUE(server.decrypted.empty());
}

}  // namespace
}  // namespace gp::backend
