// HTTPS with --tls-cert/--tls-key: a throwaway CA made here signs the server certificate; a client
// trusting the CA is served; TLS below 1.2 and non-forward-secret ciphers are refused; a bad
// certificate or key stops the server with a clear error; a client that never finishes the
// handshake is dropped.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <airlock/error.h>

#include <chrono>
#include <fstream>

#include "server_harness.h"

namespace airlock::server::testing {
namespace {

namespace fs = std::filesystem;

struct Pem {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  ~Pem() {
    EVP_PKEY_free(key);
    X509_free(cert);
  }
};

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A P-256 key and a certificate valid from `from_s` to `to_s` seconds from now, signed by `ca`
// (self-signed when null).
void make(Pem& out, const char* cn, const Pem* ca, long from_s, long to_s) {
  out.key = EVP_EC_gen("P-256");
  ASSERT_NE(out.key, nullptr);
  out.cert = X509_new();
  X509_set_version(out.cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(out.cert), std::rand());
  X509_gmtime_adj(X509_getm_notBefore(out.cert), from_s);
  X509_gmtime_adj(X509_getm_notAfter(out.cert), to_s);
  X509_set_pubkey(out.cert, out.key);
  X509_NAME* name = X509_get_subject_name(out.cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(out.cert, ca ? X509_get_subject_name(ca->cert) : name);
  X509* issuer = ca ? ca->cert : out.cert;
  if (ca) {
    add_ext(out.cert, issuer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    add_ext(out.cert, issuer, NID_basic_constraints, "critical,CA:FALSE");
  } else {
    add_ext(out.cert, issuer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(out.cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
  }
  ASSERT_GT(X509_sign(out.cert, ca ? ca->key : out.key, EVP_sha256()), 0);
}

void write_pem(const Pem& p, const fs::path& cert, const fs::path& key) {
  std::FILE* f = std::fopen(cert.c_str(), "w");
  PEM_write_X509(f, p.cert);
  std::fclose(f);
  if (key.empty()) return;
  f = std::fopen(key.c_str(), "w");
  PEM_write_PrivateKey(f, p.key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    make(ca_, "airlock test CA", nullptr, -60, 3600);
    make(leaf_, "localhost", &ca_, -60, 3600);
    write_pem(ca_, dir_.path() / "ca.pem", {});
    write_pem(leaf_, dir_.path() / "cert.pem", dir_.path() / "key.pem");
  }
  std::unique_ptr<RunningServer> start() {
    return std::make_unique<RunningServer>(store_.path(), [&](ServerConfig& c) {
      c.tls_cert = dir_.path() / "cert.pem";
      c.tls_key = dir_.path() / "key.pem";
      c.create_demo = false;
    });
  }
  std::string start_error() {
    try {
      start();
    } catch (const Error& e) {
      return e.what();
    }
    return "(started)";
  }
  std::unique_ptr<httplib::SSLClient> client(int port) {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
    c->set_ca_cert_path((dir_.path() / "ca.pem").c_str());
    c->enable_server_certificate_verification(true);
    c->set_connection_timeout(5);
    return c;
  }
  TempDir dir_, store_;
  Pem ca_, leaf_;
};

TEST_F(Tls, ClientTrustingTheCaIsServed) {
  auto server = start();
  auto c = client(server->port());
  auto r = c->Get("/api/version");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  // Plain HTTP on the TLS port gets no HTTP answer.
  httplib::Client plain("127.0.0.1", server->port());
  plain.set_read_timeout(3);
  auto p = plain.Get("/api/version");
  EXPECT_TRUE(!p || p->status == 400) << (p ? p->status : 0);
}

TEST_F(Tls, OldProtocolsAndWeakCiphersAreRefused) {
  auto server = start();
  {
    auto ok = client(server->port());  // the same client settings with a modern suite: served
    SSL_CTX_set_max_proto_version(ok->ssl_context(), TLS1_2_VERSION);
    ASSERT_EQ(SSL_CTX_set_cipher_list(ok->ssl_context(), "ECDHE-ECDSA-AES128-GCM-SHA256"), 1);
    auto r = ok->Get("/api/version");
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_EQ(r->status, 200);
  }
  {
    auto cbc = client(server->port());  // TLS 1.2 with a CBC, SHA-1 suite
    SSL_CTX_set_max_proto_version(cbc->ssl_context(), TLS1_2_VERSION);
    ASSERT_EQ(SSL_CTX_set_cipher_list(cbc->ssl_context(), "ECDHE-ECDSA-AES128-SHA"), 1);
    EXPECT_FALSE(cbc->Get("/api/version"));
  }
  {
    auto old = client(server->port());  // TLS 1.1, allowed on the client side
    SSL_CTX_set_security_level(old->ssl_context(), 0);
    SSL_CTX_set_min_proto_version(old->ssl_context(), TLS1_1_VERSION);
    SSL_CTX_set_max_proto_version(old->ssl_context(), TLS1_1_VERSION);
    SSL_CTX_set_cipher_list(old->ssl_context(), "ALL:@SECLEVEL=0");
    EXPECT_FALSE(old->Get("/api/version"));
  }
}

TEST_F(Tls, BadCertificatesAndKeysStopTheServerWithAClearError) {
  Pem expired, future, other;
  make(expired, "localhost", &ca_, -7200, -3600);
  write_pem(expired, dir_.path() / "cert.pem", dir_.path() / "key.pem");
  EXPECT_NE(start_error().find("has expired"), std::string::npos) << start_error();
  make(future, "localhost", &ca_, 3600, 7200);
  write_pem(future, dir_.path() / "cert.pem", dir_.path() / "key.pem");
  EXPECT_NE(start_error().find("is not valid yet"), std::string::npos) << start_error();
  make(other, "localhost", &ca_, -60, 3600);
  write_pem(leaf_, dir_.path() / "cert.pem", {});
  write_pem(other, dir_.path() / "other.pem", dir_.path() / "key.pem");
  EXPECT_NE(start_error().find("does not belong to the certificate"), std::string::npos) << start_error();
  std::ofstream(dir_.path() / "cert.pem") << "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  EXPECT_NE(start_error().find("is not a PEM certificate"), std::string::npos) << start_error();
  write_pem(leaf_, dir_.path() / "cert.pem", {});
  std::ofstream(dir_.path() / "key.pem") << "garbage\n";
  EXPECT_NE(start_error().find("is not a PEM private key"), std::string::npos) << start_error();
  fs::remove(dir_.path() / "key.pem");
  EXPECT_NE(start_error().find("cannot read the TLS key"), std::string::npos) << start_error();
  ServerConfig half;
  half.tls_cert = dir_.path() / "cert.pem";
  EXPECT_THROW(half.validate(), Error);
}

TEST_F(Tls, ClientThatNeverFinishesTheHandshakeIsDropped) {
  auto server = start();
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const auto t0 = std::chrono::steady_clock::now();
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 20000), 1) << "the server kept a silent connection for 20 s";
  char b;
  EXPECT_EQ(::recv(fd, &b, 1, 0), 0);  // closed, nothing sent
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(s, 15);
  ::close(fd);
  // And the server still serves others.
  auto r = client(server->port())->Get("/api/version");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace airlock::server::testing
