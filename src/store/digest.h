// SHA-256 digests as the store names them ("sha256:<64 hex>"), computed while data streams by so
// that no file is ever held in memory.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace airlock::store {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t n);
  // "sha256:<hex>"; the hasher cannot be updated afterwards.
  std::string finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

std::string sha256_of(std::string_view bytes);
// Hashes a file in fixed-size chunks. Throws airlock::Error naming the file on a read error.
std::string sha256_of_file(const std::filesystem::path& path);

// True for "sha256:" followed by exactly 64 lowercase hex digits.
bool is_digest(std::string_view digest);
// Throws airlock::Error naming `what` unless is_digest(digest).
void check_digest(std::string_view digest, std::string_view what);
// The 64 hex digits of a checked digest.
std::string digest_hex(std::string_view digest);

std::string to_hex(const uint8_t* data, size_t n);
// Decodes exactly `n` bytes of hex; false on any other length or a non-hex character.
bool from_hex(std::string_view hex, uint8_t* out, size_t n);

}  // namespace airlock::store
