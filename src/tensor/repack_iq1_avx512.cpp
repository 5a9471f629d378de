// AVX-512 VNNI tile kernels for packed IQ1_S and IQ1_M groups (layouts in repack_iq1.h), through
// the lattice kernel (repack_lattice_avx512.h). An element is d / 8 * (2s + 1) * (8 * grid + delta);
// each row's entry goes to vpdpbusd as u = 8 * (grid + 1) + (delta + 1), 0..18, and the kernel
// takes the 9 back off through the activations' bsums.
#include <immintrin.h>

#include <cstring>

#include "tensor/quant_iq_grids.h"
#include "tensor/repack_iq1.h"
#include "tensor/repack_lattice_avx512.h"
#include "tensor/simd_avx512.h"
#include "tensor/tile_runner.h"

namespace airlock::repack_lanes {

namespace {

// The widened indices and delta signs of one block, prepared once so that each row's entry is one
// table load: idx[16g + r] is row r's 11-bit grid index of group g, bit r of positive[g] says its
// delta is +1. A positive delta adds 2 to each of the entry's bytes (below 8, so no carries): one
// masked OR per eight rows.
struct Iq1Rows {
  alignas(32) uint16_t idx[32 * 16];
  uint16_t positive[32];

  static void put(uint16_t* to, const uint8_t* low, __m512i top) {
    const __m512i v = _mm512_or_si512(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(low))),
                                      _mm512_slli_epi32(_mm512_and_si512(top, _mm512_set1_epi32(7)), 8));
    _mm256_store_si256(reinterpret_cast<__m256i*>(to), _mm512_cvtepi32_epi16(v));
  }

  __m512i entries(int g, int r0) const {
    const __m512i grid = lattice::grid_lanes(quant::kIQ1SGridUnsigned, idx + 16 * g + r0);
    const auto plus_one = static_cast<__mmask8>(positive[g] >> r0);
    return _mm512_mask_or_epi64(grid, plus_one, grid, _mm512_set1_epi8(2));
  }
};

struct IQ1S {
  static constexpr size_t kBlockBytes = kIQ1SBlockBytes;
  static constexpr int kGroupsPerScale = 4;
  static constexpr int kUnsignedBias = 9;
  static constexpr float kFactor = 0.125f;
  static constexpr size_t kWordsAt = 32 + 512;

  static __m512i words(const uint8_t* block, int ib) {
    return _mm512_cvtepu16_epi32(kernels::avx512::load256(block + kWordsAt + 32 * ib));
  }
  static __m512i scales(const uint8_t* block, int ib) {
    const __m512i s = _mm512_and_si512(_mm512_srli_epi32(words(block, ib), 12), _mm512_set1_epi32(7));
    return _mm512_add_epi32(_mm512_add_epi32(s, s), _mm512_set1_epi32(1));
  }

  struct Rows : Iq1Rows {
    explicit Rows(const uint8_t* block) {
      for (int ib = 0; ib < 8; ++ib) {  // one word per row and 32 elements: top index bits, delta sign
        const __m512i w = words(block, ib);
        const auto plus = static_cast<uint16_t>(~_mm512_test_epi32_mask(w, _mm512_set1_epi32(0x8000)));
        #pragma GCC unroll 4
        for (int l = 0; l < 4; ++l) {
          put(idx + 16 * (4 * ib + l), block + 32 + 16 * (4 * ib + l), _mm512_srli_epi32(w, 3 * l));
          positive[4 * ib + l] = plus;
        }
      }
    }
  };
};

struct IQ1M {
  static constexpr size_t kBlockBytes = kIQ1MBlockBytes;
  static constexpr int kGroupsPerScale = 2;
  static constexpr int kUnsignedBias = 9;
  static constexpr float kFactor = 0.125f;
  static __m512i scales(const uint8_t* block, int s) { return lattice::odd_scales(block + 32 + 512 + 256, s); }

  struct Rows : Iq1Rows {
    explicit Rows(const uint8_t* block) {
      const uint8_t* high = block + 32 + 512;
      for (int p = 0; p < 16; ++p) {  // one byte per row: the nibbles of groups 2p and 2p + 1
        const __m512i bytes = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(high + 16 * p)));
        #pragma GCC unroll 2
        for (int h = 0; h < 2; ++h) {
          const __m512i nibble = _mm512_srli_epi32(bytes, 4 * h);
          const int g = 2 * p + h;
          put(idx + 16 * g, block + 32 + 16 * g, nibble);
          positive[g] = static_cast<uint16_t>(~_mm512_test_epi32_mask(nibble, _mm512_set1_epi32(8)));
        }
      }
    }
  };
};

}  // namespace

void tile_iq1_s_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                       size_t out_stride) {
  run_tiles(lattice::kTiles<IQ1S>, cols, group, act, a_stride, n_tokens, out, out_stride);
}

void tile_iq1_m_avx512(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out,
                       size_t out_stride) {
  run_tiles(lattice::kTiles<IQ1M>, cols, group, act, a_stride, n_tokens, out, out_stride);
}

}  // namespace airlock::repack_lanes
