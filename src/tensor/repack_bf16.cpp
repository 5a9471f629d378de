// Packs 16 BF16 rows into one rows-in-lanes group, and sizes the tile's activation rows (layouts
// in repack_bf16.h).
#include "tensor/repack_bf16.h"

#include <cstring>
#include <string>

#include "airlock/error.h"
#include "tensor/repack.h"

namespace airlock::repack_lanes {

int64_t bf16_padded_cols(int64_t cols) {
  if (cols <= 0) throw Error("bf16 repack: " + std::to_string(cols) + " columns");
  return (cols + kBf16StepCols - 1) / kBf16StepCols * kBf16StepCols;
}

size_t group_bytes_bf16(int64_t cols) { return static_cast<size_t>(bf16_padded_cols(cols)) * 2 * kRepackRows; }

size_t act_row_bytes_bf16(int64_t cols) { return static_cast<size_t>(bf16_padded_cols(cols)) * 2; }

void pack_bf16(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  auto* out = static_cast<uint8_t*>(dst);
  std::memset(out, 0, group_bytes_bf16(cols));
  for (int r = 0; r < kRepackRows; ++r) {
    const auto* row = static_cast<const uint8_t*>(rows) + static_cast<size_t>(r) * row_stride;
    for (int64_t c = 0; c < cols; ++c) std::memcpy(out + 64 * (c / 2) + 4 * r + 2 * (c % 2), row + 2 * c, 2);
  }
}

}  // namespace airlock::repack_lanes
