// What every packer of a rows-in-lanes layout (repack.h) does before it places a byte: count a
// row's whole blocks, refusing a row that is not made of them, and copy one file block out of the
// rows (which need not be aligned for the block struct).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "airlock/error.h"

namespace airlock {

// cols / block_cols; throws airlock::Error naming the type unless cols is a positive multiple.
inline int64_t whole_blocks(const char* type, int64_t cols, int64_t block_cols) {
  if (cols <= 0 || cols % block_cols != 0)
    throw Error(std::string(type) + " repack: " + std::to_string(cols) + " columns is not a positive multiple of " +
                std::to_string(block_cols));
  return cols / block_cols;
}

// Block i of row r, copied.
template <class Block>
Block block_at(const void* rows, size_t row_stride, int r, int64_t i) {
  Block b;
  std::memcpy(&b, static_cast<const uint8_t*>(rows) + static_cast<size_t>(r) * row_stride + static_cast<size_t>(i) * sizeof b,
              sizeof b);
  return b;
}

}  // namespace airlock
