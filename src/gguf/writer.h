// Writing GGUF v3 files: metadata in the given order, tensors laid out back to back at the file's
// alignment, published atomically (a temp file in the same folder, fsync, rename), optionally split
// into NAME-0000k-of-0000N.gguf parts that File::open reads back as one model.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "gguf/gguf.h"

namespace airlock::gguf {

// Receives bytes in order, in pieces of any size.
using ByteSink = std::function<void(const void* data, size_t n)>;

struct TensorToWrite {
  std::string name;
  TensorType type = TensorType::F32;
  std::vector<int64_t> dims;  // ne[0] (the row length) first; 1 to 4 entries
  // The tensor's bytes; when empty, `fill` is called instead and must hand the sink exactly the
  // tensor's byte size, so a large model need not be held in memory while it is written.
  std::span<const uint8_t> data;
  std::function<void(const ByteSink& out)> fill;
};

struct WriteOptions {
  // 1 writes `path` itself; N > 1 writes PATH_STEM-00001-of-0000N.gguf ... next to it, tensors
  // divided by count (part k holds tensors [k*T/N, (k+1)*T/N)), the metadata in the first part and
  // split.no / split.count / split.tensors.count in every part.
  uint32_t split_count = 1;
  // Whether a file without tensors still ends with padding to the alignment (llama.cpp's writer
  // pads; gguf-py's does not).
  bool pad_without_tensors = true;
};

// Validates everything first (names, shapes, sizes, metadata), then writes. Returns the paths
// written. Throws airlock::Error naming the file and the problem; on failure nothing is left
// behind and an existing file at the destination is untouched.
std::vector<std::filesystem::path> write_file(const std::filesystem::path& path, const std::vector<KeyValue>& metadata,
                                              const std::vector<TensorToWrite>& tensors,
                                              const WriteOptions& options = {});

// The file name of part k (0-based) of n: "NAME-00001-of-00003.gguf" for "NAME.gguf".
std::filesystem::path split_path(const std::filesystem::path& path, uint32_t k, uint32_t n);

}  // namespace airlock::gguf
