#include "mysql/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <optional>
#include <random>

namespace gp::mysql {

namespace {

constexpr size_t kNonceLength = 20;
constexpr size_t kSha1Length = 20;
constexpr size_t kSha256Length = 32;

std::string digest(const EVP_MD* md, std::string_view a, std::string_view b = {}) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, md, nullptr) == 1 &&
            EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
            EVP_DigestUpdate(ctx, b.data(), b.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, out.data(), &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return {};
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

std::string sha1(std::string_view a, std::string_view b = {}) {
  return digest(EVP_sha1(), a, b);
}
std::string sha256(std::string_view a, std::string_view b = {}) {
  return digest(EVP_sha256(), a, b);
}

std::string xor_bytes(std::string_view a, std::string_view b) {
  std::string out(a.size(), '\0');
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) out[i] = static_cast<char>(a[i] ^ b[i]);
  return out;
}

bool equal_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// SHA1(SHA1(password)) from a stored '*'-prefixed hex hash, or nullopt when
// `stored` is not in that form.
std::optional<std::string> parse_native_hash(std::string_view stored) {
  if (stored.size() != 1 + 2 * kSha1Length || stored[0] != '*') return std::nullopt;
  std::string out(kSha1Length, '\0');
  for (size_t i = 0; i < kSha1Length; ++i) {
    int hi = hex_value(stored[1 + 2 * i]);
    int lo = hex_value(stored[2 + 2 * i]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

// Clients send either nothing or a single NUL for an empty password.
bool is_empty_response(std::string_view response) {
  return response.empty() || response == std::string_view("\0", 1);
}

}  // namespace

std::string make_nonce() {
  std::array<unsigned char, kNonceLength> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    std::random_device rd;
    for (auto& b : raw) b = static_cast<unsigned char>(rd());
  }
  std::string nonce(kNonceLength, '\0');
  // Like MySQL's salt: 7-bit, never NUL (clients read it as a C string) nor '$'.
  for (size_t i = 0; i < kNonceLength; ++i) {
    unsigned char b = raw[i] & 0x7f;
    if (b == '\0' || b == '$') ++b;
    nonce[i] = static_cast<char>(b);
  }
  return nonce;
}

std::string native_password_scramble(std::string_view password, std::string_view nonce) {
  if (password.empty()) return {};
  std::string stage1 = sha1(password);
  std::string stage2 = sha1(stage1);
  return xor_bytes(stage1, sha1(nonce, stage2));
}

bool native_password_verify(std::string_view stored, std::string_view nonce,
                            std::string_view response) {
  if (stored.empty()) return is_empty_response(response);
  return native_password_stage1(stored, nonce, response).has_value();
}

std::optional<std::string> native_password_stage1(std::string_view stored, std::string_view nonce,
                                                  std::string_view response) {
  if (stored.empty() || response.size() != kSha1Length) return std::nullopt;
  std::string stored_hash;
  if (auto hash = parse_native_hash(stored)) {
    stored_hash = std::move(*hash);
  } else {
    stored_hash = sha1(sha1(stored));
  }
  std::string candidate_stage1 = xor_bytes(response, sha1(nonce, stored_hash));
  if (!equal_secret(sha1(candidate_stage1), stored_hash)) return std::nullopt;
  return candidate_stage1;
}

std::string native_password_scramble_from_stage1(std::string_view stage1, std::string_view nonce) {
  if (stage1.size() != kSha1Length) return {};
  return xor_bytes(stage1, sha1(nonce, sha1(stage1)));
}

std::string native_password_stage1_of(std::string_view password) {
  return password.empty() ? std::string() : sha1(password);
}

bool clear_password_matches(std::string_view stored, std::string_view password) {
  if (auto hash = parse_native_hash(stored)) {
    return !password.empty() && equal_secret(sha1(sha1(password)), *hash);
  }
  return equal_secret(stored, password);
}

bool is_native_hash(std::string_view stored) {
  return parse_native_hash(stored).has_value();
}

std::string caching_sha2_scramble(std::string_view password, std::string_view nonce) {
  if (password.empty()) return {};
  std::string digest1 = sha256(password);
  std::string digest2 = sha256(digest1);
  std::string digest3 = sha256(digest2, nonce);
  return xor_bytes(digest1, digest3);
}

bool caching_sha2_verify(std::string_view password, std::string_view nonce,
                         std::string_view response) {
  if (password.empty()) return is_empty_response(response);
  if (response.size() != kSha256Length) return false;
  return equal_secret(caching_sha2_scramble(password, nonce), response);
}

}  // namespace gp::mysql
