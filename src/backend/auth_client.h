// The client side of MySQL authentication towards a backend: the responses
// the proxy sends for each auth plugin. Pure apart from OpenSSL calls.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace gp::backend {

// The scramble `plugin` expects for `password` and the server's `nonce`.
// A password stored as a mysql_native_password hash ('*' + 40 hex digits)
// answers mysql_native_password with `password_sha1`, SHA1(password) learnt
// from the client's own login (as ProxySQL does); it fails for other plugins,
// and when that SHA1 is unknown. Fails for a plugin the proxy does not speak.
Result<std::string> auth_response(std::string_view plugin, std::string_view password,
                                  std::string_view nonce, std::string_view password_sha1 = {});

// caching_sha2_password's full authentication over a plain connection:
// RSA-OAEP encryption, with the server's public key (PEM), of the password
// and its NUL terminator XOR-ed with the nonce.
Result<std::string> rsa_encrypt_password(std::string_view public_key_pem, std::string_view password,
                                         std::string_view nonce);

// True for a password kept as '*' + 40 hex digits.
bool is_hashed_password(std::string_view password);

}  // namespace gp::backend
