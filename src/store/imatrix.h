// Importance matrices as llama.cpp's llama-imatrix writes them and llama-quantize reads them
// (`--imatrix FILE`, the binary layout of llama.cpp c392e50): per weight matrix, the mean square
// of each input column's activations over a calibration text. The quantizer weights each
// column's rounding error by it (store/quantize.h).
//
// Layout, little-endian: int32 entry count (>= 1); per entry: int32 name length, the name,
// int32 ncall (how many batches were summed), int32 nval, nval float32 sums; then, optionally,
// int32 chunk count and int32 length + name of the calibration dataset.
#pragma once
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace airlock::store {

struct ImportanceMatrix {
  // Per tensor name, the values already divided by ncall (as the reference does when ncall > 0).
  std::unordered_map<std::string, std::vector<float>> entries;
  std::string dataset;  // the calibration file's name; empty when the file does not say
  int32_t chunks = 0;   // chunks of calibration text; 0 when the file does not say
};

// Every count and length is checked against the bytes left before anything is allocated; a name
// must be non-empty, unique and free of NUL bytes, values finite, nothing may follow the dataset
// name. Throws airlock::Error naming `what` and the problem.
ImportanceMatrix parse_imatrix(std::span<const uint8_t> bytes, const std::string& what);

// Reads and parses a file (at most 2 GiB).
ImportanceMatrix load_imatrix(const std::filesystem::path& path);

}  // namespace airlock::store
