// Password scrambles of the two auth plugins, for both sides of the exchange.
#pragma once

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

// XOR(SHA256(password), SHA256(SHA256(SHA256(password)) + nonce)); empty for an empty password.
std::string caching_sha2_scramble(std::string_view password, std::string_view nonce);
// Needs the plain text password.
bool caching_sha2_verify(std::string_view password, std::string_view nonce,
                         std::string_view response);

}  // namespace gp::mysql
