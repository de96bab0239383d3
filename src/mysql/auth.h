// Password scrambles of the two auth plugins, for both sides of the exchange.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gp::mysql {

inline constexpr std::string_view kNativePassword = "mysql_native_password";
inline constexpr std::string_view kCachingSha2Password = "caching_sha2_password";

// A fresh 20-byte nonce of printable, non-NUL bytes (as MySQL servers send).
std::string make_nonce();

// SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password))); empty for an empty password.
std::string native_password_scramble(std::string_view password, std::string_view nonce);
// `stored` is the plain text password or '*' + 40 hex digits of SHA1(SHA1(password)).
bool native_password_verify(std::string_view stored, std::string_view nonce,
                            std::string_view response);

// SHA1(password) taken from a client's mysql_native_password `response` when
// it matches `stored` (plain text or hash), as ProxySQL does: with it the
// proxy answers a backend's mysql_native_password nonce for a user it only
// knows by hash. nullopt when the response does not match.
std::optional<std::string> native_password_stage1(std::string_view stored, std::string_view nonce,
                                                  std::string_view response);
// The mysql_native_password scramble from SHA1(password) instead of the password.
std::string native_password_scramble_from_stage1(std::string_view stage1, std::string_view nonce);
// SHA1(password): what native_password_stage1 recovers, from a clear password.
std::string native_password_stage1_of(std::string_view password);
// A clear-text password (caching_sha2_password's full authentication) against
// the stored one, plain text or mysql_native_password hash.
bool clear_password_matches(std::string_view stored, std::string_view password);
// True for '*' + 40 hex digits.
bool is_native_hash(std::string_view stored);

// XOR(SHA256(password), SHA256(SHA256(SHA256(password)) + nonce)); empty for an empty password.
std::string caching_sha2_scramble(std::string_view password, std::string_view nonce);
// Needs the plain text password.
bool caching_sha2_verify(std::string_view password, std::string_view nonce,
                         std::string_view response);

}  // namespace gp::mysql
