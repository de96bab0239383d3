#include "frontend/tls_material.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace gp::frontend {

namespace {

namespace fs = std::filesystem;

constexpr long kValidDays = 3650;

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::unexpected<Error> tls_error(std::string message) {
  return make_error(errc::kUnknownError, std::move(message));
}

std::string pem_of(X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string pem_of(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

bool write_file(const fs::path& path, const std::string& content, bool secret) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (secret) ::chmod(path.c_str(), 0600);
  return static_cast<bool>(out);
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext) {
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
}

X509Ptr make_certificate(EVP_PKEY* key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key,
                         long serial, bool is_ca) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValidDays * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509* signer = issuer ? issuer : cert.get();
  if (is_ca) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "CA:FALSE");
    add_extension(cert.get(), signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  }
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0) return nullptr;
  return cert;
}

// A CA and a server certificate signed by it, as ProxySQL creates at its
// first start: clients that verify can trust proxysql-ca.pem.
Result<void> generate_certificates(const fs::path& ca_file, const fs::path& cert_file,
                                   const fs::path& key_file) {
  PkeyPtr ca_key(EVP_RSA_gen(2048));
  PkeyPtr key(EVP_RSA_gen(2048));
  if (!ca_key || !key) return tls_error("cannot generate RSA keys for the TLS certificates");
  X509Ptr ca =
      make_certificate(ca_key.get(), "genaiproxy Auto Generated CA", nullptr, nullptr, 1, true);
  X509Ptr cert = ca ? make_certificate(key.get(), "genaiproxy Auto Generated Server Certificate",
                                       ca.get(), ca_key.get(), 2, false)
                    : nullptr;
  if (!ca || !cert) return tls_error("cannot sign the generated TLS certificates");
  if (!write_file(ca_file, pem_of(ca.get()), false) ||
      !write_file(cert_file, pem_of(cert.get()), false) ||
      !write_file(key_file, pem_of(key.get()), true)) {
    return tls_error("cannot write TLS certificates into " + ca_file.parent_path().string());
  }
  return {};
}

bool is_private_key(const std::optional<std::string>& pem) {
  if (!pem) return false;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  return key != nullptr;
}

std::string subject_of(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return {};
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert.get()), buf, sizeof buf);
  return buf;
}

}  // namespace

Result<std::shared_ptr<const TlsMaterial>> load_tls_material(const std::string& datadir,
                                                             const TlsFiles& files) {
  fs::path dir(datadir);
  fs::path ca_file = dir / "proxysql-ca.pem";
  fs::path cert_file = dir / "proxysql-cert.pem";
  fs::path key_file = dir / "proxysql-key.pem";
  fs::path rsa_file = dir / "private_key.pem";
  bool configured = !files.certificate.empty() || !files.key.empty();
  if (configured && (files.certificate.empty() || files.key.empty())) {
    return tls_error("mysql-ssl_cert and mysql-ssl_key are set together (one is empty)");
  }
  if (configured) {
    cert_file = files.certificate;
    key_file = files.key;
  }
  auto material = std::make_shared<TlsMaterial>();
  std::error_code fs_error;
  if (!configured && !fs::exists(cert_file, fs_error) && !fs::exists(key_file, fs_error)) {
    auto generated = generate_certificates(ca_file, cert_file, key_file);
    if (!generated) return std::unexpected(generated.error());
    material->generated = true;
  }

  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use);
  std::error_code ec;
  context->use_certificate_chain_file(cert_file.string(), ec);
  if (ec)
    return tls_error("cannot load TLS certificate " + cert_file.string() + ": " + ec.message());
  context->use_private_key_file(key_file.string(), asio::ssl::context::pem, ec);
  if (ec && !is_private_key(read_file(key_file))) {
    return tls_error("cannot load TLS key " + key_file.string() + ": " + ec.message());
  }
  // OpenSSL refuses a readable key that is not the certificate's.
  if (ec || SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return tls_error("TLS key " + key_file.string() + " does not match certificate " +
                     cert_file.string());
  }
  if (!files.client_ca.empty()) {
    // A client certificate is not required, but one that is presented must
    // be signed by this CA, or the handshake fails.
    context->load_verify_file(files.client_ca, ec);
    if (ec) return tls_error("cannot load mysql-ssl_ca " + files.client_ca + ": " + ec.message());
    context->set_verify_mode(asio::ssl::verify_peer, ec);
  }
  material->context = std::move(context);
  material->certificate_file = cert_file.string();
  if (auto pem = read_file(cert_file)) material->certificate_subject = subject_of(*pem);

  if (auto pem = read_file(rsa_file)) {
    auto key = mysql::RsaKeyPair::from_pem(*pem);
    if (!key) return tls_error("cannot load " + rsa_file.string() + ": " + key.error().message);
    material->rsa_key = std::move(*key);
  } else {
    auto key = mysql::RsaKeyPair::generate();
    if (!key) return std::unexpected(key.error());
    if (!write_file(rsa_file, (*key)->private_pem(), true)) {
      return tls_error("cannot write " + rsa_file.string());
    }
    material->rsa_key = std::move(*key);
  }
  return std::shared_ptr<const TlsMaterial>(std::move(material));
}

}  // namespace gp::frontend
