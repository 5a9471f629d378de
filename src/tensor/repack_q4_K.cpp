// Repacking of Q4_K / Q5_K rows into the interleaved layout of repack_q4_K.h (plain C++: it runs
// once at load, on any CPU).
#include "tensor/repack_q4_K.h"

#include <cstring>
#include <type_traits>

#include "tensor/quant_blocks.h"
#include "tensor/quant_k_scales.h"
#include "tensor/repack.h"
#include "tensor/repack_rows.h"

namespace airlock::repack_k4 {

using quant::BlockQ4_K;
using quant::BlockQ5_K;
using quant::kQK_K;

namespace {

template <class Block>
void pack(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  constexpr bool q5 = std::is_same_v<Block, BlockQ5_K>;
  constexpr int R = kRepackRows;
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < cols / kQK_K; ++i, out += superblock_bytes(q5)) {
    auto* d = reinterpret_cast<uint16_t*>(out + kD);
    auto* dmin = reinterpret_cast<uint16_t*>(out + kDmin);
    uint8_t* scales = out + kScales;
    uint8_t* mins = out + kMins;
    uint8_t* qh = out + kHeader;
    uint8_t* qs = out + kHeader + (q5 ? kQhBytes : 0);
    for (int r = 0; r < R; ++r) {
      const auto b = block_at<Block>(rows, row_stride, r, i);
      d[r] = b.d;
      dmin[r] = b.dmin;
      uint8_t sm[16];  // scales 0-7, mins 8-15
      quant::unpack_scale_min_k4(b.scales, sm);
      for (int sb = 0; sb < 8; ++sb) {
        scales[sb * R + r] = sm[sb];
        mins[(sb / 2) * 2 * R + 2 * r + sb % 2] = sm[8 + sb];
      }
      if constexpr (q5)
        for (int m = 0; m < 8; ++m) std::memcpy(qh + (m * R + r) * 4, b.qh + 4 * m, 4);
      for (int v = 0; v < 32; ++v) std::memcpy(qs + (v * R + r) * 4, b.qs + 4 * v, 4);
    }
  }
}

}  // namespace

size_t group_bytes_q4_K(int64_t cols) { return static_cast<size_t>(cols / kQK_K) * superblock_bytes(false); }
size_t group_bytes_q5_K(int64_t cols) { return static_cast<size_t>(cols / kQK_K) * superblock_bytes(true); }
void pack_q4_K(const void* rows, size_t row_stride, int64_t cols, void* dst) { pack<BlockQ4_K>(rows, row_stride, cols, dst); }
void pack_q5_K(const void* rows, size_t row_stride, int64_t cols, void* dst) { pack<BlockQ5_K>(rows, row_stride, cols, dst); }

}  // namespace airlock::repack_k4
