// Packs 16 Q2_K rows into one rows-in-lanes group (layout in repack_q2_K.h).
#include "tensor/repack_q2_K.h"

#include <cstring>

#include "tensor/quant_blocks.h"
#include "tensor/repack.h"
#include "tensor/repack_rows.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;

size_t group_bytes_q2_K(int64_t cols) { return static_cast<size_t>(whole_blocks("q2_K", cols, kQK_K)) * kQ2KBlockBytes; }

void pack_q2_K(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = whole_blocks("q2_K", cols, kQK_K);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; ++i, out += kQ2KBlockBytes) {
    uint8_t* scales = out + 64;
    uint8_t* quants = scales + 256;
    for (int r = 0; r < kRepackRows; ++r) {
      const auto b = block_at<BlockQ2_K>(rows, row_stride, r, i);
      std::memcpy(out + 2 * r, &b.d, 2);
      std::memcpy(out + 32 + 2 * r, &b.dmin, 2);
      for (int s = 0; s < 16; ++s) scales[32 * (s / 2) + 2 * r + s % 2] = b.scales[s];
      // Element e's quant: bits 2 * ((e % 128) / 32) of qs[(e / 128) * 32 + e % 32].
      for (int s = 0; s < 16; ++s)
        for (int byte = 0; byte < 4; ++byte) {
          uint8_t packed = 0;
          for (int g = 0; g < 4; ++g) {
            const int e = 16 * s + 4 * g + byte;
            packed |= static_cast<uint8_t>(((b.qs[(e / 128) * 32 + e % 32] >> (2 * ((e % 128) / 32))) & 3) << (2 * g));
          }
          quants[64 * s + 4 * r + byte] = packed;
        }
    }
  }
}

}  // namespace airlock::repack_lanes
