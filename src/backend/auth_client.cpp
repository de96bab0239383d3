#include "backend/auth_client.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cctype>
#include <memory>

#include "mysql/auth.h"

namespace gp::backend {

namespace {

std::unexpected<Error> auth_error(std::string message) {
  return make_error(errc::kAccessDenied, std::move(message));
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

}  // namespace

bool is_hashed_password(std::string_view password) {
  if (password.size() != 41 || password[0] != '*') return false;
  for (char c : password.substr(1)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

Result<std::string> auth_response(std::string_view plugin, std::string_view password,
                                  std::string_view nonce, std::string_view password_sha1) {
  if (is_hashed_password(password)) {
    if (plugin == mysql::kNativePassword && !password_sha1.empty()) {
      return mysql::native_password_scramble_from_stage1(password_sha1, nonce);
    }
    if (plugin == mysql::kNativePassword) {
      return auth_error(
          "mysql_users holds a mysql_native_password hash for this user, and its client did not "
          "log in with a mysql_native_password scramble or a clear password from which the "
          "backend answer could be computed");
    }
    return auth_error("backend asks for auth plugin '" + std::string(plugin) +
                      "', which needs the clear-text password, but mysql_users holds a "
                      "mysql_native_password hash for this user");
  }
  if (plugin == mysql::kNativePassword) return mysql::native_password_scramble(password, nonce);
  if (plugin == mysql::kCachingSha2Password) return mysql::caching_sha2_scramble(password, nonce);
  return auth_error("backend asks for auth plugin '" + std::string(plugin) +
                    "', which genaiproxy does not support (use mysql_native_password or "
                    "caching_sha2_password)");
}

Result<std::string> rsa_encrypt_password(std::string_view public_key_pem, std::string_view password,
                                         std::string_view nonce) {
  if (nonce.empty()) return auth_error("caching_sha2_password: empty nonce");
  std::string plain(password);
  plain.push_back('\0');
  for (size_t i = 0; i < plain.size(); ++i) plain[i] ^= nonce[i % nonce.size()];

  std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(public_key_pem.data(), static_cast<int>(public_key_pem.size())));
  if (!bio) return auth_error("caching_sha2_password: out of memory");
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key)
    return auth_error("caching_sha2_password: the server's RSA public key is not valid PEM");
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) <= 0) {
    return auth_error("caching_sha2_password: cannot set up RSA-OAEP encryption");
  }
  size_t out_len = 0;
  auto* in = reinterpret_cast<const unsigned char*>(plain.data());
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &out_len, in, plain.size()) <= 0) {
    return auth_error("caching_sha2_password: RSA encryption failed");
  }
  std::string out(out_len, '\0');
  if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &out_len, in,
                       plain.size()) <= 0) {
    return auth_error(
        "caching_sha2_password: RSA encryption failed (password too long for the key?)");
  }
  out.resize(out_len);
  return out;
}

}  // namespace gp::backend
