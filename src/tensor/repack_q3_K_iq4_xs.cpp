// Packs 16 Q3_K or IQ4_XS rows into one rows-in-lanes group (layouts in repack_q3_K_iq4_xs.h).
#include "tensor/repack_q3_K_iq4_xs.h"

#include <cstring>
#include <string>

#include "airlock/error.h"
#include "tensor/quant_blocks.h"
#include "tensor/quant_k_scales.h"
#include "tensor/repack.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;

namespace {

int64_t blocks(const char* type, int64_t cols) {
  if (cols <= 0 || cols % kQK_K != 0)
    throw Error(std::string(type) + " repack: " + std::to_string(cols) + " columns is not a positive multiple of 256");
  return cols / kQK_K;
}

// A block of row r, copied: rows need not be aligned for the block struct.
template <class Block>
Block block_at(const void* rows, size_t row_stride, int r, int64_t i) {
  Block b;
  std::memcpy(&b, static_cast<const uint8_t*>(rows) + static_cast<size_t>(r) * row_stride + static_cast<size_t>(i) * sizeof b,
              sizeof b);
  return b;
}

}  // namespace

size_t group_bytes_q3_K(int64_t cols) { return static_cast<size_t>(blocks("q3_K", cols)) * kQ3KBlockBytes; }
size_t group_bytes_iq4_xs(int64_t cols) { return static_cast<size_t>(blocks("iq4_xs", cols)) * kIQ4XSBlockBytes; }

void pack_q3_K(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = blocks("q3_K", cols);
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
  const int64_t nb = blocks("iq4_xs", cols);
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
