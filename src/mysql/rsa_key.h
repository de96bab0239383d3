// The server's RSA key pair for caching_sha2_password's full authentication
// on connections without TLS: a client that asks gets the public key and
// sends its password encrypted with it. Immutable once built; thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace gp::mysql {

class RsaKeyPair {
 public:
  static Result<std::shared_ptr<const RsaKeyPair>> generate(int bits = 2048);
  // A PEM private key (PKCS#1 or PKCS#8).
  static Result<std::shared_ptr<const RsaKeyPair>> from_pem(std::string_view private_pem);

  ~RsaKeyPair();
  RsaKeyPair(const RsaKeyPair&) = delete;
  RsaKeyPair& operator=(const RsaKeyPair&) = delete;

  // SubjectPublicKeyInfo PEM, as clients expect after their 0x02 request.
  const std::string& public_pem() const { return public_pem_; }
  std::string private_pem() const;

  // The clear password from the client's RSA-OAEP ciphertext of
  // (password + NUL) XOR nonce. Fails on a ciphertext this key did not make.
  Result<std::string> decrypt_password(std::string_view ciphertext, std::string_view nonce) const;

 private:
  explicit RsaKeyPair(EVP_PKEY* key);
  EVP_PKEY* key_;
  std::string public_pem_;
};

}  // namespace gp::mysql
