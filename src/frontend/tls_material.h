// The certificates and keys of the client and admin interfaces: the TLS
// server context, and the RSA key pair of caching_sha2_password. Kept in the
// datadir as ProxySQL keeps them (proxysql-ca.pem, proxysql-cert.pem,
// proxysql-key.pem; private_key.pem for the RSA exchange) and generated,
// self-signed, when missing. PROXYSQL RELOAD TLS reads them again; sessions
// keep the context they started with. Immutable once built; thread-safe.
#pragma once

#include <asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "core/error.h"
#include "mysql/rsa_key.h"

namespace gp::frontend {

struct TlsMaterial {
  std::shared_ptr<asio::ssl::context> context;  // TLS 1.2 and 1.3, server side
  std::shared_ptr<const mysql::RsaKeyPair> rsa_key;
  std::string certificate_file;
  std::string certificate_subject;  // for the log line of a (re)load
  bool generated = false;           // files were written by this load
};

// Where the certificate, key and client CA come from (mysql-ssl_cert,
// mysql-ssl_key, mysql-ssl_ca); empty certificate and key: the datadir's.
struct TlsFiles {
  std::string certificate;
  std::string key;
  std::string client_ca;
};

// Reads the files, creating the datadir's when neither exists and no
// certificate is configured. Fails with a message naming the file when one
// is unreadable or the key does not match.
Result<std::shared_ptr<const TlsMaterial>> load_tls_material(const std::string& datadir,
                                                             const TlsFiles& files = {});

}  // namespace gp::frontend
