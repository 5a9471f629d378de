// Encrypted bundles ("sealed" files): a bundle's tar bytes encrypted to one recipient, so a lost
// drive leaks nothing. A random content key per file encrypts the bytes with libsodium's
// secretstream (XChaCha20-Poly1305) in fixed 1 MiB chunks, so a multi-GB bundle never sits in
// memory, and the content key is sealed to the recipient with an X25519 sealed box. Recipients are
// airlock's Ed25519 keys (signing.h), converted to their X25519 form (docs/STORE.md says why).
//
// Layout (128-byte header, then the chunks):
//   magic      14 bytes  "airlock-sealed"
//   version     2 bytes  little-endian, 1
//   key id      8 bytes  the recipient's key id (signing.h), raw: tells which secret key opens it
//   sealed key 80 bytes  crypto_box_seal(content key, recipient's X25519 public key)
//   stream     24 bytes  the secretstream header
//   chunks     each 1 MiB of plaintext + 17 bytes; the last one, tagged FINAL, holds 0..1 MiB.
// Every chunk is authenticated with the first 104 header bytes as additional data, so an edited key
// id or sealed key fails too; a missing FINAL chunk (truncation) or bytes after it are refused.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "store/signing.h"

namespace airlock::store {

inline constexpr size_t kSealedHeaderBytes = 128;
inline constexpr size_t kSealedChunkBytes = 1 << 20;

// The recipient key id (16 hex digits) when `file` starts like a sealed file, nullopt when it does
// not (a plain bundle). Throws airlock::Error for an unreadable file or an unknown format version.
std::optional<std::string> sealed_recipient(const std::filesystem::path& file);

// Writes a sealed file chunk by chunk. Throws airlock::Error naming the file on any failure; the
// caller owns the path (removes it on failure, renames it when done).
class SealedWriter {
 public:
  SealedWriter(const std::filesystem::path& path, const PublicKey& recipient);
  ~SealedWriter();
  SealedWriter(const SealedWriter&) = delete;
  SealedWriter& operator=(const SealedWriter&) = delete;

  void write(const void* data, size_t n);
  // Writes the FINAL chunk and closes the file. Once only; nothing may be written after.
  void finish();

 private:
  void emit(const uint8_t* plain, size_t n, bool final);

  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<uint8_t> plain_, cipher_;
  std::vector<uint8_t> ad_;
  struct State;
  std::unique_ptr<State> state_;
};

// Reads a sealed file back, chunk by chunk. The constructor checks the recipient and opens the
// content key; next() returns the next chunk's plaintext (empty once the FINAL chunk has been
// read). Every failure throws airlock::Error naming the file: written for another key, damaged,
// tampered with, truncated.
class SealedReader {
 public:
  SealedReader(const std::filesystem::path& path, const SecretKey& key);
  ~SealedReader();
  SealedReader(const SealedReader&) = delete;
  SealedReader& operator=(const SealedReader&) = delete;

  std::span<const uint8_t> next();
  // Reads whatever is left and checks the file ends with its FINAL chunk and nothing after it.
  void expect_end();
  const std::string& recipient() const { return recipient_; }

 private:
  std::filesystem::path path_;
  std::string recipient_;
  int fd_ = -1;
  uint64_t chunk_ = 0;  // chunks read, for messages
  bool done_ = false;
  std::vector<uint8_t> plain_, cipher_;
  std::vector<uint8_t> ad_;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace airlock::store
