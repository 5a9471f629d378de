// K-quants (Q2_K..Q6_K) and the Q8_K activation format: 256-element super-blocks whose
// sub-block scales (and mins) are themselves quantized against one or two half-precision factors.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/quant_blocks.h"
#include "tensor/quant_formats.h"
#include "tensor/quant_k_pack.h"
#include "tensor/quant_k_scales.h"
#include "tensor/quant_k_search.h"
#include "tensor/quant_math.h"

namespace airlock::quant {

namespace {

void pack_scale_min_k4(const float* scales, const float* mins, float max_scale, float max_min, uint8_t* out) {
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  for (int j = 0; j < kQK_K / 32; ++j) {
    const auto ls = static_cast<uint8_t>(std::min(63, nearest_int(inv_scale * scales[j])));
    const auto lm = static_cast<uint8_t>(std::min(63, nearest_int(inv_min * mins[j])));
    put_scale_min_k4(j, ls, lm, out);
  }
}

}  // namespace

void put_scale_min_k4(int j, uint8_t ls, uint8_t lm, uint8_t* out) {
  if (j < 4) {
    out[j] = ls;
    out[j + 4] = lm;
  } else {
    out[j + 4] = static_cast<uint8_t>((ls & 0xf) | ((lm & 0xf) << 4));
    out[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
    out[j] |= static_cast<uint8_t>((lm >> 4) << 6);
  }
}

void put_q3_scale(int j, int l, uint8_t* scales) {
  if (j < 8)
    scales[j] = static_cast<uint8_t>(l & 0xf);
  else
    scales[j - 8] |= static_cast<uint8_t>((l & 0xf) << 4);
  scales[j % 4 + 8] |= static_cast<uint8_t>((l >> 4) << (2 * (j / 4)));
}

void rms_weights(const float* x, float* weights) {
  float sum_x2 = 0;
  for (int l = 0; l < 32; ++l) sum_x2 += x[l] * x[l];
  const float av_x = std::sqrt(sum_x2 / 32);
  for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[l]);
}

// ---- Q2_K: 2-bit quants, 16 sub-blocks of 16 with 4-bit scale and 4-bit min -------------------

void dequantize_q2_K(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ2_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d = h2f(b[i].d), dmin = h2f(b[i].dmin);
    for (int e = 0; e < kQK_K; ++e) {
      // Each byte of a 32-byte group holds the quants of elements l, l+32, l+64, l+96 of a 128 half.
      const int q = (b[i].qs[(e / 128) * 32 + e % 32] >> (2 * ((e % 128) / 32))) & 3;
      const uint8_t sc = b[i].scales[e / 16];
      dst[e] = d * static_cast<float>(sc & 0xf) * static_cast<float>(q) - dmin * static_cast<float>(sc >> 4);
    }
  }
}

namespace {

void search_q2_K(const float* x, float* scales, float* mins, uint8_t* L) {
  uint8_t Laux[16];
  float weights[16];
  for (int j = 0; j < kQK_K / 16; ++j) {
    for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
    scales[j] = make_qkx2_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15, true);
  }
}

}  // namespace

void pack_q2_K(const float* x, const float* scales, const float* mins, uint8_t* L, BlockQ2_K& b) {
  constexpr float q4scale = 15.f;
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < kQK_K / 16; ++j) {
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  if (max_scale > 0) {
    const float iscale = q4scale / max_scale;
    for (int j = 0; j < kQK_K / 16; ++j) b.scales[j] = static_cast<uint8_t>(nearest_int(iscale * scales[j]));
    b.d = f2h(max_scale / q4scale);
  } else {
    std::memset(b.scales, 0, sizeof b.scales);
    b.d = f2h(0.f);
  }
  if (max_min > 0) {
    const float iscale = q4scale / max_min;
    for (int j = 0; j < kQK_K / 16; ++j) b.scales[j] |= static_cast<uint8_t>(nearest_int(iscale * mins[j]) << 4);
    b.dmin = f2h(max_min / q4scale);
  } else {
    b.dmin = f2h(0.f);
  }
  finish_q2_K(x, L, b);
}

void finish_q2_K(const float* x, uint8_t* L, BlockQ2_K& b) {
  // Requantize against the scales as stored, so the quants fit what dequantization will see.
  for (int j = 0; j < kQK_K / 16; ++j) {
    const float d = h2f(b.d) * static_cast<float>(b.scales[j] & 0xf);
    if (!d) continue;
    const float dm = h2f(b.dmin) * static_cast<float>(b.scales[j] >> 4);
    for (int ii = 0; ii < 16; ++ii)
      L[16 * j + ii] = static_cast<uint8_t>(std::clamp(nearest_int((x[16 * j + ii] + dm) / d), 0, 3));
  }
  for (int j = 0; j < kQK_K; j += 128)
    for (int l = 0; l < 32; ++l)
      b.qs[j / 4 + l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
}

void quantize_q2_K(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ2_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    uint8_t L[kQK_K];
    float scales[kQK_K / 16], mins[kQK_K / 16];
    search_q2_K(x, scales, mins, L);
    pack_q2_K(x, scales, mins, L, b[i]);
  }
}

// ---- Q3_K: 3-bit quants (2 low bits + a high-bit mask), 16 sub-blocks with 6-bit scales ---------

void dequantize_q3_K(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ3_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d = h2f(b[i].d);
    for (int e = 0; e < kQK_K; ++e) {
      const int lo = (b[i].qs[(e / 128) * 32 + e % 32] >> (2 * ((e % 128) / 32))) & 3;
      const bool hi = (b[i].hmask[e % 32] >> (e / 32)) & 1;  // a clear high bit means -4
      dst[e] = d * static_cast<float>(q3_scale(b[i].scales, e / 16)) * static_cast<float>(lo - (hi ? 0 : 4));
    }
  }
}

void pack_q3_K(const float* x, const float* scales, int8_t* L, BlockQ3_K& b) {
  float max_scale = 0, amax = 0;
  for (int j = 0; j < kQK_K / 16; ++j) {
    if (std::fabs(scales[j]) > amax) {
      amax = std::fabs(scales[j]);
      max_scale = scales[j];
    }
  }
  std::memset(b.scales, 0, sizeof b.scales);
  if (max_scale) {
    const float iscale = -32.f / max_scale;
    for (int j = 0; j < kQK_K / 16; ++j) {
      put_q3_scale(j, std::clamp(static_cast<int>(static_cast<int8_t>(nearest_int(iscale * scales[j]))), -32, 31) + 32,
                   b.scales);
    }
    b.d = f2h(1 / iscale);
  } else {
    b.d = f2h(0.f);
  }
  finish_q3_K(x, L, b);
}

void finish_q3_K(const float* x, int8_t* L, BlockQ3_K& b) {
  for (int j = 0; j < kQK_K / 16; ++j) {
    const float d = h2f(b.d) * static_cast<float>(q3_scale(b.scales, j));
    if (!d) continue;
    for (int ii = 0; ii < 16; ++ii)
      L[16 * j + ii] = static_cast<int8_t>(std::clamp(nearest_int(x[16 * j + ii] / d), -4, 3) + 4);
  }
  // High bit of element e goes to hmask[e % 32], bit e / 32.
  std::memset(b.hmask, 0, sizeof b.hmask);
  for (int e = 0; e < kQK_K; ++e) {
    if (L[e] > 3) {
      b.hmask[e % 32] |= static_cast<uint8_t>(1 << (e / 32));
      L[e] = static_cast<int8_t>(L[e] - 4);
    }
  }
  for (int j = 0; j < kQK_K; j += 128)
    for (int l = 0; l < 32; ++l)
      b.qs[j / 4 + l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
}

void quantize_q3_K(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ3_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    int8_t L[kQK_K];
    float scales[kQK_K / 16];
    for (int j = 0; j < kQK_K / 16; ++j) scales[j] = make_q3_quants(16, 4, x + 16 * j, L + 16 * j, true);
    pack_q3_K(x, scales, L, b[i]);
  }
}

// ---- Q4_K / Q5_K: 8 sub-blocks of 32 with 6-bit scales and mins ---------------------------------

void dequantize_q4_K(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ4_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d = h2f(b[i].d), dmin = h2f(b[i].dmin);
    for (int j = 0; j < kQK_K / 32; ++j) {
      int sc, m;
      get_scale_min_k4(j, b[i].scales, sc, m);
      const float dl = d * static_cast<float>(sc), ml = dmin * static_cast<float>(m);
      // Sub-blocks 2k and 2k+1 share 32 bytes: low nibbles, then high nibbles.
      const uint8_t* q = b[i].qs + (j / 2) * 32;
      const int shift = (j % 2) * 4;
      for (int l = 0; l < 32; ++l) dst[32 * j + l] = dl * static_cast<float>((q[l] >> shift) & 0xf) - ml;
    }
  }
}

namespace {

void search_q4_K(const float* x, float* scales, float* mins, uint8_t* L) {
  uint8_t Laux[32];
  float weights[32];
  for (int j = 0; j < kQK_K / 32; ++j) {
    rms_weights(x + 32 * j, weights);
    scales[j] = make_qkx2_quants(32, 15, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -1.f, 0.1f, 20, false);
  }
}

// Rounds the searched scales and mins of the eight 32-value sub-blocks to a Q4_K/Q5_K block's
// codes (d, dmin and the packed 6-bit scales), then gives each value its level 0..max_level under
// the rounded scales, as the reference requantises; a sub-block whose scale rounds to zero keeps
// the levels of the search.
template <class Block>
void round_scales_and_levels(const float* x, const float* scales, const float* mins, int max_level, uint8_t* L,
                             Block& b) {
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < kQK_K / 32; ++j) {
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  pack_scale_min_k4(scales, mins, max_scale, max_min, b.scales);
  b.d = f2h(max_scale / 63.f);
  b.dmin = f2h(max_min / 63.f);
  requantize_k4(x, max_level, L, b);
}

}  // namespace

template <class Block>
void requantize_k4(const float* x, int max_level, uint8_t* L, const Block& b) {
  for (int j = 0; j < kQK_K / 32; ++j) {
    int sc, m;
    get_scale_min_k4(j, b.scales, sc, m);
    const float d = h2f(b.d) * static_cast<float>(sc);
    if (!d) continue;
    const float dm = h2f(b.dmin) * static_cast<float>(m);
    for (int ii = 0; ii < 32; ++ii)
      L[32 * j + ii] = static_cast<uint8_t>(std::clamp(nearest_int((x[32 * j + ii] + dm) / d), 0, max_level));
  }
}
template void requantize_k4(const float*, int, uint8_t*, const BlockQ4_K&);
template void requantize_k4(const float*, int, uint8_t*, const BlockQ5_K&);

void pack_q4_K(const float* x, const float* scales, const float* mins, uint8_t* L, BlockQ4_K& b) {
  round_scales_and_levels(x, scales, mins, 15, L, b);
  store_q4_K_levels(L, b);
}

void store_q4_K_levels(const uint8_t* L, BlockQ4_K& b) {
  for (int j = 0; j < kQK_K; j += 64)
    for (int l = 0; l < 32; ++l) b.qs[j / 2 + l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 4));
}

void quantize_q4_K(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ4_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    uint8_t L[kQK_K];
    float scales[kQK_K / 32], mins[kQK_K / 32];
    search_q4_K(x, scales, mins, L);
    pack_q4_K(x, scales, mins, L, b[i]);
  }
}

void dequantize_q5_K(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ5_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d = h2f(b[i].d), dmin = h2f(b[i].dmin);
    for (int j = 0; j < kQK_K / 32; ++j) {
      int sc, m;
      get_scale_min_k4(j, b[i].scales, sc, m);
      const float dl = d * static_cast<float>(sc), ml = dmin * static_cast<float>(m);
      const uint8_t* q = b[i].qs + (j / 2) * 32;
      const int shift = (j % 2) * 4;
      for (int l = 0; l < 32; ++l) {
        const int hi = (b[i].qh[l] >> j) & 1;  // qh[l] bit j: fifth bit of sub-block j, element l
        dst[32 * j + l] = dl * static_cast<float>(((q[l] >> shift) & 0xf) | (hi << 4)) - ml;
      }
    }
  }
}

namespace {

void search_q5_K(const float* x, float* scales, float* mins, uint8_t* L) {
  uint8_t Laux[32];
  float weights[32];
  for (int j = 0; j < kQK_K / 32; ++j) {
    rms_weights(x + 32 * j, weights);
    scales[j] = make_qkx2_quants(32, 31, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -0.5f, 0.1f, 15, false);
  }
}

}  // namespace

void pack_q5_K(const float* x, const float* scales, const float* mins, uint8_t* L, BlockQ5_K& b) {
  round_scales_and_levels(x, scales, mins, 31, L, b);
  store_q5_K_levels(L, b);
}

void store_q5_K_levels(const uint8_t* L, BlockQ5_K& b) {
  std::memset(b.qh, 0, sizeof b.qh);
  for (int j = 0; j < kQK_K / 32; ++j) {
    for (int l = 0; l < 32; ++l) {
      const int q = L[32 * j + l];
      if (q > 15) b.qh[l] |= static_cast<uint8_t>(1 << j);
      uint8_t& byte = b.qs[(j / 2) * 32 + l];
      if (j % 2 == 0)
        byte = static_cast<uint8_t>(q & 0xf);
      else
        byte = static_cast<uint8_t>(byte | ((q & 0xf) << 4));
    }
  }
}

void quantize_q5_K(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ5_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    uint8_t L[kQK_K];
    float scales[kQK_K / 32], mins[kQK_K / 32];
    search_q5_K(x, scales, mins, L);
    pack_q5_K(x, scales, mins, L, b[i]);
  }
}

// ---- Q6_K: 6-bit quants (4 low + 2 high bits), 16 sub-blocks with int8 scales -------------------

void dequantize_q6_K(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ6_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d = h2f(b[i].d);
    for (int e = 0; e < kQK_K; ++e) {
      // Within each 128 half: ql bytes 0-31 hold elements l (low nibble) and l+64 (high), bytes
      // 32-63 hold l+32 and l+96; qh byte l holds the top bits of l, l+32, l+64, l+96.
      const int h = e / 128, r = e % 128, quarter = r / 32, l = r % 32;
      const uint8_t qlb = b[i].ql[h * 64 + (quarter % 2) * 32 + l];
      const int lo = (qlb >> (4 * (quarter / 2))) & 0xf;
      const int hi = (b[i].qh[h * 32 + l] >> (2 * quarter)) & 3;
      dst[e] = d * static_cast<float>(b[i].scales[e / 16]) * static_cast<float>((lo | (hi << 4)) - 32);
    }
  }
}

namespace {

void search_q6_K(const float* x, float* scales, int8_t* L) {
  for (int ib = 0; ib < kQK_K / 16; ++ib) scales[ib] = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib, 1);
}

}  // namespace

void pack_q6_K(const float* x, const float* scales, int8_t* L, BlockQ6_K& b) {
  float max_scale = 0, max_abs_scale = 0;
  for (int ib = 0; ib < kQK_K / 16; ++ib) {
    if (std::fabs(scales[ib]) > max_abs_scale) {
      max_abs_scale = std::fabs(scales[ib]);
      max_scale = scales[ib];
    }
  }
  if (max_abs_scale < kGroupMaxEps) {
    std::memset(&b, 0, sizeof b);
    return;
  }
  const float iscale = -128.f / max_scale;
  b.d = f2h(1 / iscale);
  for (int ib = 0; ib < kQK_K / 16; ++ib) b.scales[ib] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[ib])));
  finish_q6_K(x, L, b);
}

void finish_q6_K(const float* x, int8_t* L, BlockQ6_K& b) {
  for (int j = 0; j < kQK_K / 16; ++j) {
    const float d = h2f(b.d) * static_cast<float>(b.scales[j]);
    if (!d) continue;
    for (int ii = 0; ii < 16; ++ii)
      L[16 * j + ii] = static_cast<int8_t>(std::clamp(nearest_int(x[16 * j + ii] / d), -32, 31) + 32);
  }
  for (int h = 0; h < kQK_K / 128; ++h) {
    const int8_t* Lh = L + 128 * h;
    uint8_t* ql = b.ql + 64 * h;
    uint8_t* qh = b.qh + 32 * h;
    for (int l = 0; l < 32; ++l) {
      ql[l] = static_cast<uint8_t>((Lh[l] & 0xf) | ((Lh[l + 64] & 0xf) << 4));
      ql[l + 32] = static_cast<uint8_t>((Lh[l + 32] & 0xf) | ((Lh[l + 96] & 0xf) << 4));
      qh[l] = static_cast<uint8_t>((Lh[l] >> 4) | ((Lh[l + 32] >> 4) << 2) | ((Lh[l + 64] >> 4) << 4) | ((Lh[l + 96] >> 4) << 6));
    }
  }
}

void quantize_q6_K(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ6_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    int8_t L[kQK_K];
    float scales[kQK_K / 16];
    search_q6_K(x, scales, L);
    pack_q6_K(x, scales, L, b[i]);
  }
}

// ---- Q8_K: activations for K-quant dot products -------------------------------------------------

void dequantize_q8_K(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ8_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K)
    for (int j = 0; j < kQK_K; ++j) dst[j] = b[i].d * static_cast<float>(b[i].qs[j]);
}

void quantize_q8_K(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    float max = 0, amax = 0;
    for (int j = 0; j < kQK_K; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    if (!amax) {
      std::memset(&b[i], 0, sizeof b[i]);
      continue;
    }
    // -127 rather than -128 keeps every quant in [-127, 127] (symmetric, as the SIMD kernels need).
    const float iscale = -127.f / max;
    for (int j = 0; j < kQK_K; ++j) b[i].qs[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * x[j])));
    for (int j = 0; j < kQK_K / 16; ++j) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += b[i].qs[16 * j + l];
      b[i].bsums[j] = static_cast<int16_t>(sum);
    }
    b[i].d = 1 / iscale;
  }
}

}  // namespace airlock::quant
