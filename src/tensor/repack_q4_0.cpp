// Packs 16 Q4_0 rows into one rows-in-lanes group (layout in repack_q6_K_legacy.h).
#include <cstring>
#include <string>

#include "airlock/error.h"
#include "tensor/quant_blocks.h"
#include "tensor/repack_q6_K_legacy.h"

namespace airlock::kernels {

using namespace airlock::quant;

namespace {
constexpr size_t kGroupBlockBytes = kRepackRows * sizeof(BlockQ4_0);  // 32 scale bytes + 256 quant bytes

int64_t q4_0_blocks(int64_t cols) {
  if (cols <= 0 || cols % kQK != 0)
    throw Error("q4_0 repack: " + std::to_string(cols) + " columns is not a positive multiple of 32");
  return cols / kQK;
}
}  // namespace

size_t q4_0_x16_group_bytes(int64_t cols) { return static_cast<size_t>(q4_0_blocks(cols)) * kGroupBlockBytes; }

void q4_0_x16_pack(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = q4_0_blocks(cols);
  const auto* src = static_cast<const uint8_t*>(rows);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t b = 0; b < nb; ++b, out += kGroupBlockBytes) {
    for (int r = 0; r < kRepackRows; ++r) {
      BlockQ4_0 blk;  // a copy: rows need not be aligned for the block struct
      std::memcpy(&blk, src + static_cast<size_t>(r) * row_stride + static_cast<size_t>(b) * sizeof blk, sizeof blk);
      std::memcpy(out + 2 * r, &blk.d, 2);
      // The nibble order stays GGUF's: dword j of a row holds elements 4j..4j+3 (low nibbles) and
      // 16+4j.. (high nibbles), so the kernel's activation offsets follow directly.
      for (int j = 0; j < 4; ++j) std::memcpy(out + 32 + 64 * j + 4 * r, blk.qs + 4 * j, 4);
    }
  }
}

}  // namespace airlock::kernels
