// Writes one blob into a store's blobs/ folder: the bytes go to a hidden temp file while being
// hashed, and only a fully written, fsynced blob whose hash is right is renamed to its
// content-addressed name. A crash leaves at most a temp file, which gc removes.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <istream>
#include <optional>
#include <string>

#include "store/digest.h"

namespace airlock::store {

// Called with (bytes done, bytes total or 0 when unknown) as data streams by.
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

inline constexpr size_t kChunkBytes = 1 << 20;
inline constexpr std::string_view kTempPrefix = ".tmp-";

class BlobWriter {
 public:
  explicit BlobWriter(const std::filesystem::path& blobs_dir);
  ~BlobWriter();  // removes the temp file unless commit() ran
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;

  void write(const void* data, size_t n);
  uint64_t size() const { return size_; }
  // Flushes to disk and returns the digest. When `expected` is given and differs, throws
  // airlock::Error naming `what` and both digests.
  std::string finish(const std::optional<std::string>& expected, const std::string& what);
  // Renames the finished temp file to blobs/sha256-<hex> (a blob already there has the same
  // content by construction, so the temp is dropped instead).
  void commit();

 private:
  std::filesystem::path dir_, tmp_;
  int fd_ = -1;
  Sha256 hash_;
  uint64_t size_ = 0;
  std::string digest_;
  bool committed_ = false;
};

// Streams a file into the store; returns its digest. `expected` as for finish().
std::string put_file_blob(const std::filesystem::path& blobs_dir, const std::filesystem::path& src,
                          const std::optional<std::string>& expected, const ProgressFn& progress);
std::string put_stream_blob(const std::filesystem::path& blobs_dir, std::istream& in,
                            const std::optional<std::string>& expected, const ProgressFn& progress);

}  // namespace airlock::store
