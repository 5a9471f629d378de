// Packs 16 Q6_K rows into one rows-in-lanes group (layout in repack_q6_K_legacy.h).
//
// Per 256-column super-block, after the 32 bytes of fp16 scales and 256 bytes of sub-block scale
// pairs, each quant is split into its low 4 bits and high 2 bits as in GGUF (keeping the packed
// size equal to the original), but ordered so that sub-block s (16 elements, groups g = 0..3 of 4
// elements) unpacks from three 64-byte loads:
//   4-bit vector 2s+h (h = 0, 1), lane r byte b: low nibble = element 16s + 4h + b (g = h),
//                                               high nibble = element 16s + 4(h+2) + b (g = h+2)
//   2-bit vector s, lane r byte b: bits 2g..2g+1 = high bits of element 16s + 4g + b
#include <cstring>

#include "tensor/quant_blocks.h"
#include "tensor/repack_q6_K_legacy.h"
#include "tensor/repack_rows.h"

namespace airlock::kernels {

using namespace airlock::quant;

namespace {
constexpr size_t kScaleBytes = 2 * kRepackRows;           // fp16 d per row
constexpr size_t kSubScaleBytes = 16 * kRepackRows;       // int8 sub-block scales
constexpr size_t kLowPlaneBytes = kQK_K / 2 * kRepackRows; // 4 bits per quant
constexpr size_t kGroupBlockBytes = kRepackRows * sizeof(BlockQ6_K);
static_assert(kScaleBytes + kSubScaleBytes + kLowPlaneBytes + kQK_K / 4 * kRepackRows == kGroupBlockBytes);

// The 6-bit quants (0..63, value + 32) of a GGUF Q6_K block in element order: each half of 128
// elements keeps quarters 0/1 in the low nibbles of ql[0..63], quarters 2/3 in the high nibbles,
// and the top two bits of quarter j at bits 2j of qh.
void q6_quants(const BlockQ6_K& b, uint8_t q[kQK_K]) {
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = b.ql + 64 * half;
    const uint8_t* qh = b.qh + 32 * half;
    uint8_t* out = q + 128 * half;
    for (int l = 0; l < 32; ++l) {
      out[l] = static_cast<uint8_t>((ql[l] & 0xf) | (qh[l] & 3) << 4);
      out[32 + l] = static_cast<uint8_t>((ql[32 + l] & 0xf) | (qh[l] >> 2 & 3) << 4);
      out[64 + l] = static_cast<uint8_t>((ql[l] >> 4) | (qh[l] >> 4 & 3) << 4);
      out[96 + l] = static_cast<uint8_t>((ql[32 + l] >> 4) | (qh[l] >> 6 & 3) << 4);
    }
  }
}
}  // namespace

size_t q6_K_x16_group_bytes(int64_t cols) { return static_cast<size_t>(whole_blocks("q6_K", cols, kQK_K)) * kGroupBlockBytes; }

void q6_K_x16_pack(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = whole_blocks("q6_K", cols, kQK_K);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; ++i, out += kGroupBlockBytes) {
    uint8_t* sub_scales = out + kScaleBytes;
    uint8_t* low = sub_scales + kSubScaleBytes;
    uint8_t* high = low + kLowPlaneBytes;
    for (int r = 0; r < kRepackRows; ++r) {
      const auto blk = block_at<BlockQ6_K>(rows, row_stride, r, i);
      std::memcpy(out + 2 * r, &blk.d, 2);
      for (int s = 0; s < 16; ++s) sub_scales[32 * (s / 2) + 2 * r + s % 2] = static_cast<uint8_t>(blk.scales[s]);
      uint8_t q[kQK_K];
      q6_quants(blk, q);
      // Sub-block s, element 16s + 4g + b (group g, byte b): every plane byte written whole.
      for (int s = 0; s < 16; ++s) {
        const uint8_t* qs = q + 16 * s;
        for (int b = 0; b < 4; ++b) {
          for (int h = 0; h < 2; ++h)
            low[64 * (2 * s + h) + 4 * r + b] = static_cast<uint8_t>((qs[4 * h + b] & 0xf) | (qs[4 * (h + 2) + b] & 0xf) << 4);
          high[64 * s + 4 * r + b] = static_cast<uint8_t>((qs[b] >> 4) | (qs[4 + b] >> 4) << 2 | (qs[8 + b] >> 4) << 4 |
                                                          (qs[12 + b] >> 4) << 6);
        }
      }
    }
  }
}

}  // namespace airlock::kernels
