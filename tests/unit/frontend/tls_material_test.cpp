#include "frontend/tls_material.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace gp::frontend {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path = fs::temp_directory_path() /
                  ("gp-tls-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  static inline int counter = 0;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

X509* read_cert(const fs::path& p) {
  std::string pem = slurp(p);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

TEST(TlsMaterial, GeneratesACaSignedCertificateOnce) {
  TempDir dir;
  auto first = load_tls_material(dir.path.string());
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE((*first)->generated);
  EXPECT_TRUE((*first)->context);
  EXPECT_TRUE((*first)->rsa_key);
  struct stat st {};
  ASSERT_EQ(::stat((dir.path / "proxysql-key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 077, 0u);

  // The server certificate verifies against the generated CA.
  X509* ca = read_cert(dir.path / "proxysql-ca.pem");
  X509* cert = read_cert(dir.path / "proxysql-cert.pem");
  ASSERT_TRUE(ca && cert);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  EXPECT_EQ(X509_verify_cert(ctx), 1)
      << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(ca);
  X509_free(cert);

  std::string cert_before = slurp(dir.path / "proxysql-cert.pem");
  auto second = load_tls_material(dir.path.string());
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE((*second)->generated);
  EXPECT_EQ(slurp(dir.path / "proxysql-cert.pem"), cert_before);
  EXPECT_EQ((*second)->rsa_key->public_pem(), (*first)->rsa_key->public_pem());
}

TEST(TlsMaterial, MismatchedKeyIsRefusedNamingTheFiles) {
  TempDir a;
  TempDir b;
  ASSERT_TRUE(load_tls_material(a.path.string()));
  ASSERT_TRUE(load_tls_material(b.path.string()));
  fs::copy_file(b.path / "proxysql-key.pem", a.path / "proxysql-key.pem",
                fs::copy_options::overwrite_existing);
  auto r = load_tls_material(a.path.string());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("does not match"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("proxysql-cert.pem"), std::string::npos);
}

TEST(TlsMaterial, MissingKeyWithACertificateIsAnError) {
  TempDir dir;
  ASSERT_TRUE(load_tls_material(dir.path.string()));
  fs::remove(dir.path / "proxysql-key.pem");
  auto r = load_tls_material(dir.path.string());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("proxysql-key.pem"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace gp::frontend
