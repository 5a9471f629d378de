// Helpers for the store tests: a temp folder that cleans up, and small synthetic GGUF files
// written byte by byte from the GGUF v3 layout (so the tests do not depend on our own writer).
#pragma once
#include <fcntl.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/temp_dir.h"

namespace airlock::store_testing {

using TempDir = test_support::TempDir;

inline void put_u32(std::string& b, uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); }
inline void put_u64(std::string& b, uint64_t v) { b.append(reinterpret_cast<const char*>(&v), 8); }
inline void put_str(std::string& b, const std::string& s) {
  put_u64(b, s.size());
  b += s;
}

// A GGUF v3 file: general.architecture = "llama", general.name = `name`, one F32 tensor of
// `n_floats` values. With `sparse` the data is a hole (fast to make at any size); otherwise the
// data bytes are derived from `name` so different names give different files.
inline void write_gguf(const std::filesystem::path& path, const std::string& name, uint64_t n_floats,
                       bool sparse = false) {
  std::string b;
  put_u32(b, 0x46554747);
  put_u32(b, 3);
  put_u64(b, 1);  // tensors
  put_u64(b, 2);  // key-values
  put_str(b, "general.architecture");
  put_u32(b, 8);
  put_str(b, "llama");
  put_str(b, "general.name");
  put_u32(b, 8);
  put_str(b, name);
  put_str(b, "token_embd.weight");
  put_u32(b, 1);
  put_u64(b, n_floats);
  put_u32(b, 0);  // F32
  put_u64(b, 0);
  b.resize((b.size() + 31) / 32 * 32, '\0');
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
  if (!sparse) {
    std::string chunk(1 << 16, '\0');
    for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>(name[i % name.size()] + i);
    for (uint64_t left = n_floats * 4; left > 0;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
      out.write(chunk.data(), static_cast<std::streamsize>(n));
      left -= n;
    }
  }
  out.close();
  if (sparse) std::filesystem::resize_file(path, b.size() + n_floats * 4);
}

// SHA-256 through OpenSSL's one-shot API, independent of the store's streaming hasher.
inline std::string reference_sha256(const std::string& bytes) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), md);
  static const char* hex = "0123456789abcdef";
  std::string s = "sha256:";
  for (unsigned char c : md) s += hex[c >> 4], s += hex[c & 15];
  return s;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void spit(const std::filesystem::path& p, const std::string& s) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << s;
}

// The digest SHA256SUMS in the fixtures lists for models/NAME.
inline std::string fixture_digest(const std::filesystem::path& fixtures, const std::string& name) {
  std::ifstream in(fixtures / "SHA256SUMS");
  std::string hex, path;
  while (in >> hex >> path)
    if (path == "models/" + name) return "sha256:" + hex;
  return "";
}

}  // namespace airlock::store_testing
