#include "server/tls.h"

#include <airlock/error.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>

namespace airlock::server {

namespace {

constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no PEM data";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

File open_pem(const std::filesystem::path& p, const char* what) {
  File f(std::fopen(p.c_str(), "r"));
  if (!f) throw Error("serve: cannot read the TLS " + std::string(what) + " " + p.string());
  return f;
}

}  // namespace

std::unique_ptr<httplib::Server> make_tls_server(const std::filesystem::path& cert_path,
                                                 const std::filesystem::path& key_path) {
  ERR_clear_error();
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_X509(open_pem(cert_path, "certificate").get(), nullptr, nullptr, nullptr),
                                                   X509_free);
  if (!cert) throw Error("serve: " + cert_path.string() + " is not a PEM certificate (" + openssl_error() + ")");
  if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) <= 0)
    throw Error("serve: the TLS certificate " + cert_path.string() + " has expired");
  if (X509_cmp_current_time(X509_get0_notBefore(cert.get())) >= 0)
    throw Error("serve: the TLS certificate " + cert_path.string() + " is not valid yet");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_PrivateKey(open_pem(key_path, "key").get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!key) throw Error("serve: " + key_path.string() + " is not a PEM private key without a passphrase (" + openssl_error() + ")");
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    throw Error("serve: the TLS key " + key_path.string() + " does not belong to the certificate " + cert_path.string());
  }
  auto server = std::make_unique<httplib::SSLServer>(cert.get(), key.get());  // it takes its own references
  if (!server->is_valid()) throw Error("serve: cannot set up TLS: " + openssl_error());
  SSL_CTX* ctx = server->ssl_context();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 || SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1)
    throw Error("serve: cannot restrict TLS versions and ciphers: " + openssl_error());
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  return server;
}

}  // namespace airlock::server
