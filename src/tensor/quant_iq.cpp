// IQ4_NL and IQ4_XS: 4-bit indices into a fixed non-linear codebook (kIQ4Values). IQ4_NL has one
// half scale per 32 elements; IQ4_XS has 256-element super-blocks with 6-bit sub-block scales.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/quant_blocks.h"
#include "tensor/quant_formats.h"
#include "tensor/quant_iq4_pack.h"
#include "tensor/quant_k_scales.h"
#include "tensor/quant_k_search.h"
#include "tensor/quant_math.h"

namespace airlock::quant {

namespace {

// Index of the codebook value nearest to x (ties go to the larger value).
int best_index(float x) {
  const int8_t* v = kIQ4Values;
  if (x <= v[0]) return 0;
  if (x >= v[15]) return 15;
  int lo = 0, hi = 15;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (x < v[mid])
      hi = mid;
    else
      lo = mid;
  }
  return x - v[hi - 1] < v[hi] - x ? hi - 1 : hi;
}

}  // namespace

float iq4_block_scale(const float* xb) {
  float weight[32];
  for (int j = 0; j < 32; ++j) weight[j] = xb[j] * xb[j];
  return iq4_block_scale(xb, weight);
}

float iq4_block_scale(const float* xb, const float* weight) {
  float amax = 0, max = 0;
  for (int j = 0; j < 32; ++j) {
    if (std::fabs(xb[j]) > amax) {
      amax = std::fabs(xb[j]);
      max = xb[j];
    }
  }
  if (amax < kGroupMaxEps) return 0;
  float d = -max / kIQ4Values[0];
  float id = 1 / d;
  float sumqx = 0, sumq2 = 0;
  for (int j = 0; j < 32; ++j) {
    const float q = kIQ4Values[best_index(id * xb[j])];
    sumqx += weight[j] * q * xb[j];
    sumq2 += weight[j] * q * q;
  }
  d = sumqx / sumq2;
  float best = d * sumqx;
  for (int itry = -kIQ4Tries; itry <= kIQ4Tries; ++itry) {
    id = static_cast<float>(itry + kIQ4Values[0]) / max;
    sumqx = sumq2 = 0;
    for (int j = 0; j < 32; ++j) {
      const float q = kIQ4Values[best_index(id * xb[j])];
      sumqx += weight[j] * q * xb[j];
      sumq2 += weight[j] * q * q;
    }
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      d = sumqx / sumq2;
      best = d * sumqx;
    }
  }
  return d;
}

namespace {

void pack_nibbles(const uint8_t* L, int n, uint8_t* qs) {
  for (int i = 0; i < n / 32; ++i)
    for (int j = 0; j < 16; ++j) qs[16 * i + j] = static_cast<uint8_t>(L[32 * i + j] | (L[32 * i + 16 + j] << 4));
}

}  // namespace

void dequantize_iq4_nl(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockIQ4_NL*>(src);
  for (int64_t i = 0; i < n / kQK; ++i, dst += kQK) {
    const float d = h2f(b[i].d);
    for (int j = 0; j < 16; ++j) {
      dst[j] = d * kIQ4Values[b[i].qs[j] & 0xf];
      dst[j + 16] = d * kIQ4Values[b[i].qs[j] >> 4];
    }
  }
}

void pack_iq4_nl(const float* x, float d, BlockIQ4_NL& b) {
  uint8_t L[kQK];
  b.d = f2h(d);
  // The quants for the final scale (the search only chose the scale).
  const float id = d ? 1 / d : 0;
  for (int j = 0; j < kQK; ++j) L[j] = static_cast<uint8_t>(best_index(id * x[j]));
  pack_nibbles(L, kQK, b.qs);
}

void quantize_iq4_nl(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockIQ4_NL*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) pack_iq4_nl(x, iq4_block_scale(x), b[i]);
}

void dequantize_iq4_xs(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockIQ4_XS*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float d = h2f(b[i].d);
    for (int ib = 0; ib < kQK_K / 32; ++ib, dst += 32) {
      const float dl = d * static_cast<float>(iq4_xs_scale(b[i].scales_l, b[i].scales_h, ib));
      const uint8_t* qs = b[i].qs + 16 * ib;
      for (int j = 0; j < 16; ++j) {
        dst[j] = dl * kIQ4Values[qs[j] & 0xf];
        dst[j + 16] = dl * kIQ4Values[qs[j] >> 4];
      }
    }
  }
}

void pack_iq4_xs(const float* x, const float* scales, BlockIQ4_XS& b) {
  uint8_t L[kQK_K];
  float max_scale = 0, amax_scale = 0;
  for (int ib = 0; ib < kQK_K / 32; ++ib) {
    if (std::fabs(scales[ib]) > amax_scale) {
      amax_scale = std::fabs(scales[ib]);
      max_scale = scales[ib];
    }
  }
  // Sub-block scales become 6-bit multiples (-32..31) of one half-precision factor.
  const float d = -max_scale / 32;
  b.d = f2h(d);
  const float id = d ? 1 / d : 0.f;
  b.scales_h = 0;
  std::memset(b.scales_l, 0, sizeof b.scales_l);
  for (int ib = 0; ib < kQK_K / 32; ++ib) {
    int l = std::clamp(nearest_int(id * scales[ib]), -32, 31);
    const float dl = d * static_cast<float>(l);
    const float idl = dl ? 1 / dl : 0.f;
    for (int j = 0; j < 32; ++j) L[32 * ib + j] = static_cast<uint8_t>(best_index(idl * x[32 * ib + j]));
    l += 32;
    b.scales_l[ib / 2] |= static_cast<uint8_t>((l & 0xf) << (4 * (ib % 2)));
    b.scales_h |= static_cast<uint16_t>((l >> 4) << (2 * ib));
  }
  pack_nibbles(L, kQK_K, b.qs);
}

void quantize_iq4_xs(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockIQ4_XS*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    float scales[kQK_K / 32];
    for (int ib = 0; ib < kQK_K / 32; ++ib) scales[ib] = iq4_block_scale(x + 32 * ib);
    pack_iq4_xs(x, scales, b[i]);
  }
}

}  // namespace airlock::quant
