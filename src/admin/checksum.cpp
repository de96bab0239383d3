#include "admin/checksum.h"

#include <openssl/evp.h>

#include <array>
#include <memory>

#include "fmt/format.h"

namespace gp::admin {

std::string checksum_rows(const std::vector<TextRow>& rows) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  auto feed_length = [&](uint64_t n) {
    std::array<unsigned char, 8> bytes;
    for (size_t i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(n >> (8 * i));
    EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size());
  };
  feed_length(rows.size());
  for (auto& row : rows) {
    feed_length(row.size());
    for (auto& value : row) {
      if (!value) {
        EVP_DigestUpdate(ctx.get(), "N", 1);
        continue;
      }
      EVP_DigestUpdate(ctx.get(), "V", 1);
      feed_length(value->size());
      EVP_DigestUpdate(ctx.get(), value->data(), value->size());
    }
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx.get(), digest.data(), &size);
  uint64_t head = 0;
  for (size_t i = 0; i < 8; ++i) head = (head << 8) | digest[i];
  return fmt::format("0x{:016X}", head);
}

}  // namespace gp::admin
