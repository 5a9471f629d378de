// Packs 16 Q5_0 rows into one rows-in-lanes group (layout in repack_q6_K_legacy.h).
#include <cstring>
#include <string>

#include "airlock/error.h"
#include "tensor/quant_blocks.h"
#include "tensor/repack_q6_K_legacy.h"

namespace airlock::kernels {

using namespace airlock::quant;

namespace {
// 32 scale bytes + 64 fifth-bit bytes + 256 nibble bytes: the same size as 16 GGUF blocks.
constexpr size_t kGroupBlockBytes = kRepackRows * sizeof(BlockQ5_0);

int64_t q5_0_blocks(int64_t cols) {
  if (cols <= 0 || cols % kQK != 0)
    throw Error("q5_0 repack: " + std::to_string(cols) + " columns is not a positive multiple of 32");
  return cols / kQK;
}
}  // namespace

size_t q5_0_x16_group_bytes(int64_t cols) { return static_cast<size_t>(q5_0_blocks(cols)) * kGroupBlockBytes; }

void q5_0_x16_pack(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = q5_0_blocks(cols);
  const auto* src = static_cast<const uint8_t*>(rows);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t b = 0; b < nb; ++b, out += kGroupBlockBytes) {
    for (int r = 0; r < kRepackRows; ++r) {
      BlockQ5_0 blk;  // a copy: rows need not be aligned for the block struct
      std::memcpy(&blk, src + static_cast<size_t>(r) * row_stride + static_cast<size_t>(b) * sizeof blk, sizeof blk);
      std::memcpy(out + 2 * r, &blk.d, 2);
      uint32_t qh;  // bit e: the fifth bit of element e
      std::memcpy(&qh, blk.qh, 4);
      // Byte i of the row's dword in the bit plane: bits 2j and 2j+1 are the fifth bits of the
      // elements whose nibbles sit in byte i of nibble dword j (4j+i low, 16+4j+i high).
      for (int i = 0; i < 4; ++i) {
        uint8_t bits = 0;
        for (int j = 0; j < 4; ++j)
          bits |= static_cast<uint8_t>((qh >> (4 * j + i) & 1) << (2 * j) | (qh >> (16 + 4 * j + i) & 1) << (2 * j + 1));
        out[32 + 4 * r + i] = bits;
      }
      // Nibbles in GGUF order, as Q4_0.
      for (int j = 0; j < 4; ++j) std::memcpy(out + 96 + 64 * j + 4 * r, blk.qs + 4 * j, 4);
    }
  }
}

}  // namespace airlock::kernels
