// Ed25519 signatures over bundle indexes, in the spirit of minisign/signify: a key pair in two
// small text files, a key id (first 8 bytes of SHA-256 of the public key, hex) that names which
// key signed, and a store-local list of trusted public keys (trusted-keys/<key-id>.pub).
//
// File formats (UTF-8 text, one "field: value" per line after a header line):
//   secret key:  "airlock ed25519 secret key" / "key-id: <16 hex>" / "secret: <64 hex seed>"
//   public key:  "airlock ed25519 public key" / "key-id: <16 hex>" / "public: <64 hex>"
//   signature:   "airlock ed25519 signature"  / "key-id: <16 hex>" / "signature: <128 hex>"
#pragma once
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::store {

struct PublicKey {
  std::string key_id;
  std::array<uint8_t, 32> key{};
  std::string text() const;  // the public key file content
  static PublicKey parse(std::string_view text, std::string_view origin);
};

struct SecretKey {
  std::string key_id;
  std::array<uint8_t, 32> seed{};
  PublicKey public_key() const;
  std::string text() const;
  static SecretKey parse(std::string_view text, std::string_view origin);
};

SecretKey generate_key();

// The signature file content for `message`.
std::string sign_message(const SecretKey& key, std::string_view message);
// The key id a signature file names. Throws airlock::Error naming `origin` if malformed.
std::string signature_key_id(std::string_view signature_text, std::string_view origin);
// True when the signature was made by `key` over exactly `message`.
bool verify_message(const PublicKey& key, std::string_view message, std::string_view signature_text,
                    std::string_view origin);

// Trusted keys of a store.
void trust_key(const std::filesystem::path& trusted_dir, const PublicKey& key);
std::vector<PublicKey> trusted_keys(const std::filesystem::path& trusted_dir);

}  // namespace airlock::store
