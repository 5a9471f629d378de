// The HTTPS server for --tls-cert/--tls-key: the certificate and key are checked first so that a
// missing, malformed, expired, not yet valid or mismatched pair stops `serve` with one clear line;
// the context then allows TLS 1.2 and 1.3 only, with forward-secret AEAD cipher suites (ECDHE with
// AES-GCM or ChaCha20-Poly1305) and no renegotiation. The handshake runs under the server's read
// timeout, so a client that never finishes it is dropped.
#pragma once
#include <httplib.h>

#include <filesystem>
#include <memory>

namespace airlock::server {

// Throws airlock::Error naming the file and the problem.
std::unique_ptr<httplib::Server> make_tls_server(const std::filesystem::path& cert, const std::filesystem::path& key);

}  // namespace airlock::server
