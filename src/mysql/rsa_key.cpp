#include "mysql/rsa_key.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

namespace gp::mysql {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

std::string drain(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

std::unexpected<Error> rsa_error(std::string what) {
  return make_error(errc::kAccessDenied, "caching_sha2_password: " + std::move(what));
}

}  // namespace

RsaKeyPair::RsaKeyPair(EVP_PKEY* key) : key_(key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (bio && PEM_write_bio_PUBKEY(bio.get(), key_) == 1) public_pem_ = drain(bio.get());
}

RsaKeyPair::~RsaKeyPair() {
  EVP_PKEY_free(key_);
}

Result<std::shared_ptr<const RsaKeyPair>> RsaKeyPair::generate(int bits) {
  EVP_PKEY* key = EVP_RSA_gen(static_cast<unsigned int>(bits));
  if (!key) return make_error(errc::kUnknownError, "cannot generate an RSA key pair");
  return std::shared_ptr<const RsaKeyPair>(new RsaKeyPair(key));
}

Result<std::shared_ptr<const RsaKeyPair>> RsaKeyPair::from_pem(std::string_view private_pem) {
  std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (!key || EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
    EVP_PKEY_free(key);
    return make_error(errc::kWrongValueForVar, "not a PEM RSA private key");
  }
  return std::shared_ptr<const RsaKeyPair>(new RsaKeyPair(key));
}

std::string RsaKeyPair::private_pem() const {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return {};
  }
  return drain(bio.get());
}

Result<std::string> RsaKeyPair::decrypt_password(std::string_view ciphertext,
                                                 std::string_view nonce) const {
  if (nonce.empty()) return rsa_error("empty nonce");
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new(key_, nullptr));
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) <= 0) {
    return rsa_error("cannot set up RSA-OAEP decryption");
  }
  auto* in = reinterpret_cast<const unsigned char*>(ciphertext.data());
  size_t out_len = 0;
  if (EVP_PKEY_decrypt(ctx.get(), nullptr, &out_len, in, ciphertext.size()) <= 0) {
    return rsa_error("the encrypted password cannot be decrypted");
  }
  std::string plain(out_len, '\0');
  if (EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &out_len, in,
                       ciphertext.size()) <= 0) {
    return rsa_error(
        "the encrypted password cannot be decrypted (was it encrypted with this "
        "server's public key?)");
  }
  plain.resize(out_len);
  for (size_t i = 0; i < plain.size(); ++i) plain[i] ^= nonce[i % nonce.size()];
  if (!plain.empty() && plain.back() == '\0') plain.pop_back();
  return plain;
}

}  // namespace gp::mysql
