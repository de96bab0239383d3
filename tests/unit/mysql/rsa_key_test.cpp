#include "mysql/rsa_key.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <string>

namespace gp::mysql {
namespace {

// What a client does with the key it received: RSA-OAEP of
// (password + NUL) XOR nonce, written here with OpenSSL directly.
std::string client_encrypt(const std::string& public_pem, std::string password,
                           const std::string& nonce) {
  password.push_back('\0');
  for (size_t i = 0; i < password.size(); ++i) password[i] ^= nonce[i % nonce.size()];
  BIO* bio = BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key) return {};
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key, nullptr);
  EVP_PKEY_encrypt_init(ctx);
  EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING);
  size_t n = 0;
  auto* in = reinterpret_cast<const unsigned char*>(password.data());
  EVP_PKEY_encrypt(ctx, nullptr, &n, in, password.size());
  std::string out(n, '\0');
  EVP_PKEY_encrypt(ctx, reinterpret_cast<unsigned char*>(out.data()), &n, in, password.size());
  out.resize(n);
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(key);
  return out;
}

const std::string kNonce = "abcdefghij0123456789";

TEST(RsaKeyPair, DecryptsWhatAClientEncryptedWithItsPublicKey) {
  auto key = RsaKeyPair::generate();
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_NE((*key)->public_pem().find("BEGIN PUBLIC KEY"), std::string::npos);
  std::string secret = "a long enough password, with spaces & symbols!";
  auto clear =
      (*key)->decrypt_password(client_encrypt((*key)->public_pem(), secret, kNonce), kNonce);
  ASSERT_TRUE(clear) << clear.error().message;
  EXPECT_EQ(*clear, secret);
}

TEST(RsaKeyPair, WrongNonceOrKeyDoesNotGiveThePassword) {
  auto key = RsaKeyPair::generate();
  auto other = RsaKeyPair::generate();
  ASSERT_TRUE(key && other);
  std::string ciphertext = client_encrypt((*key)->public_pem(), "pw", kNonce);
  auto wrong_nonce = (*key)->decrypt_password(ciphertext, "zyxwvutsrqponmlkjihg");
  ASSERT_TRUE(wrong_nonce);
  EXPECT_NE(*wrong_nonce, "pw");
  auto wrong_key = (*other)->decrypt_password(ciphertext, kNonce);
  ASSERT_FALSE(wrong_key);
  EXPECT_EQ(wrong_key.error().code, errc::kAccessDenied);
  EXPECT_FALSE((*key)->decrypt_password("garbage", kNonce));
}

TEST(RsaKeyPair, RoundTripsThroughPem) {
  auto key = RsaKeyPair::generate();
  ASSERT_TRUE(key);
  auto loaded = RsaKeyPair::from_pem((*key)->private_pem());
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ((*loaded)->public_pem(), (*key)->public_pem());
  EXPECT_FALSE(RsaKeyPair::from_pem("-----BEGIN PRIVATE KEY-----\nnot a key\n"));
}

}  // namespace
}  // namespace gp::mysql
