#include "mysql/auth.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

namespace gp::mysql {
namespace {

// Independent reference digests through OpenSSL's one-shot API (the code
// under test uses the EVP interface).
std::string ref_sha1(const std::string& s) {
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}

std::string ref_sha256(const std::string& s) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}

std::string ref_xor(const std::string& a, const std::string& b) {
  std::string out = a;
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>(a[i] ^ b[i]);
  return out;
}

std::string to_hex(const std::string& s, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

const std::string kNonce = "abcdefghij0123456789";

TEST(Nonce, TwentyPrintableBytesWithoutNulOrDollar) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string n = make_nonce();
    ASSERT_EQ(n.size(), 20u);
    for (unsigned char c : n) {
      EXPECT_GE(c, 1);
      EXPECT_LE(c, 127);
      EXPECT_NE(c, '$');
    }
    seen.insert(n);
  }
  EXPECT_EQ(seen.size(), 200u);  // random: no repeats in practice
}

TEST(NativePassword, KnownStoredHashOfPassword) {
  // MySQL's PASSWORD('password'), as published in countless user tables.
  EXPECT_EQ("*" + to_hex(ref_sha1(ref_sha1("password")), true),
            "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19");
}

TEST(NativePassword, ScrambleMatchesDefinition) {
  std::string stage1 = ref_sha1("secret");
  std::string expected = ref_xor(stage1, ref_sha1(kNonce + ref_sha1(stage1)));
  std::string got = native_password_scramble("secret", kNonce);
  EXPECT_EQ(got.size(), 20u);
  EXPECT_EQ(got, expected);
  EXPECT_NE(native_password_scramble("secret", "zzzzzzzzzzzzzzzzzzzz"), got);
}

TEST(NativePassword, EmptyPasswordGivesEmptyResponse) {
  EXPECT_EQ(native_password_scramble("", kNonce), "");
  EXPECT_TRUE(native_password_verify("", kNonce, ""));
  EXPECT_FALSE(native_password_verify("", kNonce, native_password_scramble("x", kNonce)));
  EXPECT_FALSE(native_password_verify("secret", kNonce, ""));
}

TEST(NativePassword, VerifyPlainText) {
  std::string response = native_password_scramble("secret", kNonce);
  EXPECT_TRUE(native_password_verify("secret", kNonce, response));
  EXPECT_FALSE(native_password_verify("Secret", kNonce, response));
  EXPECT_FALSE(native_password_verify("secret", "another nonce 012345", response));
  std::string flipped = response;
  flipped[5] = static_cast<char>(flipped[5] ^ 1);
  EXPECT_FALSE(native_password_verify("secret", kNonce, flipped));
  EXPECT_FALSE(native_password_verify("secret", kNonce, response.substr(0, 19)));
}

TEST(NativePassword, VerifyStoredHashUpperAndLowerCase) {
  std::string response = native_password_scramble("password", kNonce);
  EXPECT_TRUE(
      native_password_verify("*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19", kNonce, response));
  EXPECT_TRUE(
      native_password_verify("*2470c0c06dee42fd1618bb99005adca2ec9d1e19", kNonce, response));
  EXPECT_FALSE(
      native_password_verify("*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E18", kNonce, response));
  EXPECT_FALSE(native_password_verify("*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19", kNonce,
                                      native_password_scramble("passwort", kNonce)));
}

TEST(NativePassword, MalformedHashIsTreatedAsPlainText) {
  // 40 characters after '*' but not hex: the stored value is a password.
  std::string stored = "*zz70C0C06DEE42FD1618BB99005ADCA2EC9D1E19";
  EXPECT_TRUE(native_password_verify(stored, kNonce, native_password_scramble(stored, kNonce)));
}

TEST(CachingSha2, ScrambleMatchesDefinition) {
  std::string d1 = ref_sha256("secret");
  std::string d2 = ref_sha256(d1);
  std::string d3 = ref_sha256(d2 + kNonce);
  std::string got = caching_sha2_scramble("secret", kNonce);
  EXPECT_EQ(got.size(), 32u);
  EXPECT_EQ(got, ref_xor(d1, d3));
  // The nonce goes after the double digest, not before it.
  EXPECT_NE(got, ref_xor(d1, ref_sha256(kNonce + d2)));
}

TEST(CachingSha2, Verify) {
  std::string response = caching_sha2_scramble("secret", kNonce);
  EXPECT_TRUE(caching_sha2_verify("secret", kNonce, response));
  EXPECT_FALSE(caching_sha2_verify("secret2", kNonce, response));
  EXPECT_FALSE(caching_sha2_verify("secret", "another nonce 012345", response));
  EXPECT_FALSE(caching_sha2_verify("secret", kNonce, response.substr(1)));
  EXPECT_FALSE(caching_sha2_verify("secret", kNonce, native_password_scramble("secret", kNonce)));
}

TEST(CachingSha2, EmptyPassword) {
  EXPECT_EQ(caching_sha2_scramble("", kNonce), "");
  EXPECT_TRUE(caching_sha2_verify("", kNonce, ""));
  // libmysqlclient sends one NUL byte for an empty caching_sha2 password.
  EXPECT_TRUE(caching_sha2_verify("", kNonce, std::string(1, '\0')));
  EXPECT_FALSE(caching_sha2_verify("", kNonce, caching_sha2_scramble("x", kNonce)));
  EXPECT_FALSE(caching_sha2_verify("x", kNonce, ""));
}

TEST(NativePassword, Stage1IsRecoveredFromAMatchingResponse) {
  std::string response = native_password_scramble("secret", kNonce);
  std::string hash = "*" + to_hex(ref_sha1(ref_sha1("secret")), true);
  auto from_hash = native_password_stage1(hash, kNonce, response);
  ASSERT_TRUE(from_hash);
  EXPECT_EQ(*from_hash, ref_sha1("secret"));
  EXPECT_EQ(native_password_stage1("secret", kNonce, response), ref_sha1("secret"));
  EXPECT_FALSE(native_password_stage1(hash, kNonce, native_password_scramble("other", kNonce)));
  EXPECT_FALSE(native_password_stage1(hash, "another nonce 012345", response));
  EXPECT_FALSE(native_password_stage1(hash, kNonce, ""));
  // The recovered SHA1 answers another server's nonce as the password would.
  const std::string other_nonce = "zyxwvutsrqponmlkjihg";
  EXPECT_EQ(native_password_scramble_from_stage1(*from_hash, other_nonce),
            native_password_scramble("secret", other_nonce));
  EXPECT_EQ(native_password_scramble_from_stage1("short", other_nonce), "");
}

TEST(NativePassword, ClearPasswordAgainstPlainAndHashed) {
  std::string hash = "*" + to_hex(ref_sha1(ref_sha1("secret")), false);
  EXPECT_TRUE(clear_password_matches(hash, "secret"));
  EXPECT_FALSE(clear_password_matches(hash, "Secret"));
  EXPECT_FALSE(clear_password_matches(hash, ""));
  EXPECT_TRUE(clear_password_matches("secret", "secret"));
  EXPECT_FALSE(clear_password_matches("secret", "secret2"));
  EXPECT_TRUE(clear_password_matches("", ""));
  EXPECT_TRUE(is_native_hash(hash));
  EXPECT_FALSE(is_native_hash("*" + std::string(40, 'g')));
  EXPECT_FALSE(is_native_hash("secret"));
  EXPECT_EQ(native_password_stage1_of("secret"), ref_sha1("secret"));
  EXPECT_EQ(native_password_stage1_of(""), "");
}

}  // namespace
}  // namespace gp::mysql
