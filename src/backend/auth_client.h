// The client side of MySQL authentication towards a backend: the responses
// the proxy sends for each auth plugin. Pure apart from OpenSSL calls.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace gp::backend {

// The scramble `plugin` expects for `password` and the server's `nonce`.
// Fails for a plugin the proxy does not speak, and for a password stored as a
// mysql_native_password hash ('*' + 40 hex digits), which cannot be turned
// back into a scramble for another server.
Result<std::string> auth_response(std::string_view plugin, std::string_view password,
                                  std::string_view nonce);

// caching_sha2_password's full authentication over a plain connection:
// RSA-OAEP encryption, with the server's public key (PEM), of the password
// and its NUL terminator XOR-ed with the nonce.
Result<std::string> rsa_encrypt_password(std::string_view public_key_pem, std::string_view password,
                                         std::string_view nonce);

// True for a password kept as '*' + 40 hex digits.
bool is_hashed_password(std::string_view password);

}  // namespace gp::backend
