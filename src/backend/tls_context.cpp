// The client-side TLS context of use_ssl backends (mysql-ssl_p2s_*).
#include <openssl/ssl.h>

#include "backend/backends.h"

namespace gp::backend {

namespace {

std::unexpected<Error> tls_setup_error(const std::string& variable, const std::string& file,
                                       const std::error_code& ec) {
  return make_error(errc::kBackendUnavailable,
                    "backend TLS: cannot load " + variable + " '" + file + "': " + ec.message());
}

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> Backends::tls_context(const MysqlSettings& settings) {
  std::string files =
      settings.ssl_p2s_ca + '\n' + settings.ssl_p2s_cert + '\n' + settings.ssl_p2s_key;
  std::lock_guard lock(tls_mutex_);
  if (tls_context_ && files == tls_files_) return tls_context_;
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  std::error_code ec;
  if (!settings.ssl_p2s_ca.empty()) {
    context->load_verify_file(settings.ssl_p2s_ca, ec);
    if (ec) return tls_setup_error("mysql-ssl_p2s_ca", settings.ssl_p2s_ca, ec);
    context->set_verify_mode(asio::ssl::verify_peer, ec);
  } else {
    // As ProxySQL: without a CA the connection is encrypted but the
    // server's certificate is not checked.
    context->set_verify_mode(asio::ssl::verify_none, ec);
  }
  if (!settings.ssl_p2s_cert.empty()) {
    context->use_certificate_chain_file(settings.ssl_p2s_cert, ec);
    if (ec) return tls_setup_error("mysql-ssl_p2s_cert", settings.ssl_p2s_cert, ec);
    const std::string& key =
        settings.ssl_p2s_key.empty() ? settings.ssl_p2s_cert : settings.ssl_p2s_key;
    context->use_private_key_file(key, asio::ssl::context::pem, ec);
    if (ec) return tls_setup_error("mysql-ssl_p2s_key", key, ec);
  }
  tls_context_ = std::move(context);
  tls_files_ = std::move(files);
  return tls_context_;
}

}  // namespace gp::backend
