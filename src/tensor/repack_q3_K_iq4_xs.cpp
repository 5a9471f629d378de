// Packs 16 Q3_K or IQ4_XS rows into one rows-in-lanes group (layouts in repack_q3_K_iq4_xs.h).
#include "tensor/repack_q3_K_iq4_xs.h"

#include <cstring>

#include "tensor/quant_blocks.h"
#include "tensor/quant_k_scales.h"
#include "tensor/repack.h"
#include "tensor/repack_rows.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;

size_t group_bytes_q3_K(int64_t cols) { return static_cast<size_t>(whole_blocks("q3_K", cols, kQK_K)) * kQ3KBlockBytes; }
size_t group_bytes_iq4_xs(int64_t cols) { return static_cast<size_t>(whole_blocks("iq4_xs", cols, kQK_K)) * kIQ4XSBlockBytes; }

void pack_q3_K(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = whole_blocks("q3_K", cols, kQK_K);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; ++i, out += kQ3KBlockBytes) {
    uint8_t* scales = out + 32;
    uint8_t* low = scales + 256;
    uint8_t* high = low + 1024;
    std::memset(high, 0, 512);
    for (int r = 0; r < kRepackRows; ++r) {
      const auto b = block_at<BlockQ3_K>(rows, row_stride, r, i);
      std::memcpy(out + 2 * r, &b.d, 2);
      for (int s = 0; s < 16; ++s) scales[32 * (s / 2) + 2 * r + s % 2] = static_cast<uint8_t>(q3_scale(b.scales, s));
      for (int s = 0; s < 16; ++s)
        for (int byte = 0; byte < 4; ++byte) {
          uint8_t lo = 0;
          for (int g = 0; g < 4; ++g) {
            const int e = 16 * s + 4 * g + byte;
            lo |= static_cast<uint8_t>(((b.qs[(e / 128) * 32 + e % 32] >> (2 * ((e % 128) / 32))) & 3) << (2 * g));
            const int hi = (b.hmask[e % 32] >> (e / 32)) & 1;
            high[64 * (s / 2) + 4 * r + byte] |= static_cast<uint8_t>(hi << (4 * (s % 2) + g));
          }
          low[64 * s + 4 * r + byte] = lo;
        }
    }
  }
}

void pack_iq4_xs(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = whole_blocks("iq4_xs", cols, kQK_K);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; ++i, out += kIQ4XSBlockBytes) {
    uint8_t* scales = out + 32;
    uint8_t* nibbles = scales + 128;
    for (int r = 0; r < kRepackRows; ++r) {
      const auto b = block_at<BlockIQ4_XS>(rows, row_stride, r, i);
      std::memcpy(out + 2 * r, &b.d, 2);
      for (int p = 0; p < 8; ++p) scales[16 * p + r] = static_cast<uint8_t>(iq4_xs_scale(b.scales_l, b.scales_h, p));
      // Element e of 32-block p: index in qs[16p + e % 16], low nibble for e < 16.
      const auto index = [&](int e) { return (b.qs[16 * (e / 32) + e % 16] >> (4 * ((e % 32) / 16))) & 0xf; };
      for (int s = 0; s < 16; ++s)
        for (int h = 0; h < 2; ++h)
          for (int byte = 0; byte < 4; ++byte)
            nibbles[64 * (2 * s + h) + 4 * r + byte] =
                static_cast<uint8_t>(index(16 * s + 4 * h + byte) | index(16 * s + 4 * (h + 2) + byte) << 4);
    }
  }
}

}  // namespace airlock::repack_lanes
