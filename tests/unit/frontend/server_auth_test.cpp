// verify_credentials() against a scripted client on a loopback socket: every
// plugin path, as COM_CHANGE_USER will use it too.
#include "frontend/server_auth.h"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <optional>
#include <thread>

#include "backend/auth_client.h"
#include "core/coroutine_warnings.h"
#include "mysql/auth.h"
#include "mysql/handshake.h"
#include "mysql/packet.h"
#include "mysql/protocol.h"

namespace gp::frontend {
namespace {

const std::string kNonce = "abcdefghij0123456789";
// mysql_native_password hash of "password"
const std::string kHash = "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19";
constexpr uint32_t kCaps =
    mysql::cap::kProtocol41 | mysql::cap::kSecureConnection | mysql::cap::kPluginAuth;

// One verify_credentials() run on a server thread; the test is the client.
class Exchange {
 public:
  Exchange(std::optional<StoredUser> stored, ClientCredentials credentials,
           std::shared_ptr<const mysql::RsaKeyPair> key = nullptr)
      : stored_(std::move(stored)), credentials_(std::move(credentials)), key_(std::move(key)) {
    asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    client_.connect(acceptor.local_endpoint());
    asio::ip::tcp::socket server(io_);
    acceptor.accept(server);
    channel_.emplace(std::move(server), 1 << 20);
    channel_->seq() = 2;
    settings_.lookup = [this](const std::string&) { return stored_; };
    settings_.rsa_key = key_;
    asio::co_spawn(
        io_,
        [this]() -> asio::awaitable<void> {
          auto r = co_await verify_credentials(*channel_, kNonce, credentials_, settings_, kCaps);
          result_ = std::move(r);
          // As a caller does after queueing its OK: what verify left queued goes out.
          co_await channel_->flush();
        },
        asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Exchange() {
    std::error_code ec;
    client_.close(ec);
    thread_.join();
  }

  std::string read() {
    unsigned char header[4];
    asio::read(client_, asio::buffer(header));
    seq_ = static_cast<uint8_t>(header[3] + 1);
    std::string payload(header[0] | header[1] << 8 | header[2] << 16, '\0');
    asio::read(client_, asio::buffer(payload));
    return payload;
  }
  void send(std::string_view payload) {
    std::string out;
    mysql::append_packet(out, seq_, payload);
    asio::write(client_, asio::buffer(out));
  }
  // The server's verdict, once it has given one (the client then sees EOF or nothing more).
  Result<VerifiedUser> result() {
    thread_.join();
    thread_ = std::thread([] {});
    return *result_;
  }

 private:
  asio::io_context io_;
  asio::io_context client_io_;
  asio::ip::tcp::socket client_{client_io_};
  std::optional<PacketChannel> channel_;
  std::optional<StoredUser> stored_;
  ClientCredentials credentials_;
  std::shared_ptr<const mysql::RsaKeyPair> key_;
  AuthSettings settings_;
  std::optional<Result<VerifiedUser>> result_;
  std::thread thread_;
  uint8_t seq_ = 3;
};

TEST(VerifyCredentials, NativeScrambleAgainstPlainAndHash) {
  {
    Exchange e(StoredUser{"pw", false},
               {"u", "mysql_native_password", mysql::native_password_scramble("pw", kNonce)});
    auto r = e.result();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->password_sha1, "");
  }
  Exchange e(StoredUser{kHash, false},
             {"u", "", mysql::native_password_scramble("password", kNonce)});
  auto r = e.result();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->password_sha1, mysql::native_password_stage1_of("password"));
}

TEST(VerifyCredentials, WrongPasswordAndUnknownUserAre1045) {
  {
    Exchange e(StoredUser{"pw", false},
               {"u", "mysql_native_password", mysql::native_password_scramble("no", kNonce)});
    EXPECT_EQ(static_cast<uint8_t>(e.read()[0]), 0xff);
    auto r = e.result();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::kAccessDenied);
  }
  Exchange e(std::nullopt,
             {"nobody", "mysql_native_password", mysql::native_password_scramble("pw", kNonce)});
  std::string err = e.read();
  EXPECT_NE(err.find("Access denied for user 'nobody'"), std::string::npos);
  EXPECT_FALSE(e.result());
}

TEST(VerifyCredentials, EmptyCachingSha2ResponseGetsASwitchThenTheFastPath) {
  Exchange e(StoredUser{"pw", false}, {"u", "caching_sha2_password", ""});
  auto sw = mysql::parse_auth_switch_request(e.read());
  ASSERT_TRUE(sw);
  EXPECT_EQ(sw->plugin, "caching_sha2_password");
  EXPECT_EQ(sw->data, kNonce);
  e.send(mysql::caching_sha2_scramble("pw", kNonce));
  EXPECT_EQ(e.read(), std::string("\x01\x03", 2));
  auto r = e.result();
  ASSERT_TRUE(r) << r.error().message;
}

TEST(VerifyCredentials, HashedUserWithCachingSha2UsesTheRsaKey) {
  auto key = mysql::RsaKeyPair::generate();
  ASSERT_TRUE(key);
  Exchange e(StoredUser{kHash, false},
             {"u", "caching_sha2_password", mysql::caching_sha2_scramble("password", kNonce)},
             *key);
  EXPECT_EQ(e.read(), std::string("\x01\x04", 2));  // full authentication
  e.send(std::string(1, '\x02'));                   // the public key, please
  std::string pem = e.read();
  ASSERT_EQ(pem[0], '\x01');
  EXPECT_EQ(pem.substr(1), (*key)->public_pem());
  auto encrypted = backend::rsa_encrypt_password(pem.substr(1), "password", kNonce);
  ASSERT_TRUE(encrypted);
  e.send(*encrypted);
  auto r = e.result();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->password_sha1, mysql::native_password_stage1_of("password"));
}

TEST(VerifyCredentials, HashedUserWithCachingSha2AndNoKeyIsToldToUseTls) {
  Exchange e(StoredUser{kHash, false},
             {"u", "caching_sha2_password", mysql::caching_sha2_scramble("pw", kNonce)});
  EXPECT_EQ(e.read(), std::string("\x01\x04", 2));
  e.send(std::string(1, '\x02'));
  std::string err = e.read();
  EXPECT_EQ(static_cast<uint8_t>(err[0]), 0xff);
  EXPECT_NE(err.find("connect with TLS"), std::string::npos);
  EXPECT_FALSE(e.result());
}

TEST(VerifyCredentials, UnknownPluginIsSwitchedToNative) {
  Exchange e(StoredUser{"pw", false}, {"u", "no_such_plugin", "whatever"});
  auto sw = mysql::parse_auth_switch_request(e.read());
  ASSERT_TRUE(sw);
  EXPECT_EQ(sw->plugin, "mysql_native_password");
  e.send(mysql::native_password_scramble("pw", kNonce));
  EXPECT_TRUE(e.result());
}

TEST(VerifyCredentials, UseSslUserWithoutTlsIsDenied) {
  Exchange e(StoredUser{"pw", true},
             {"u", "mysql_native_password", mysql::native_password_scramble("pw", kNonce)});
  std::string err = e.read();
  EXPECT_NE(err.find("Access denied"), std::string::npos);
  auto r = e.result();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::kAccessDenied);
}

}  // namespace
}  // namespace gp::frontend
