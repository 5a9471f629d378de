// Importance-weighted quantizers: what llama.cpp's quantizer runs instead of the reference ones
// when an importance matrix has an entry for the tensor (its quantize_row_*_impl with
// quant_weights). Each element's weight is its column's importance times sqrt(sigma2 + x^2)
// (sigma2: mean square of the super-block, or of the row for the 32-element types), and the
// K-quants fit their sub-block scales to the summed weights instead of rounding them against the
// largest one. Q6_K takes the importances as they are. The float operations follow the
// reference's order so the blocks come out identical.
#include <cmath>
#include <cstring>

#include "tensor/quant_blocks.h"
#include "tensor/quant_formats.h"
#include "tensor/quant_iq4_pack.h"
#include "tensor/quant_k_pack.h"
#include "tensor/quant_k_search.h"
#include "tensor/quant_math.h"

namespace airlock::quant {

namespace {

float sum_squares(const float* x, int64_t n) {
  float s = 0;
  for (int64_t j = 0; j < n; ++j) s += x[j] * x[j];
  return s;
}

void importance_weights(const float* x, const float* qw, float sigma2, int n, float* weight) {
  for (int l = 0; l < n; ++l) weight[l] = qw[l] * std::sqrt(sigma2 + x[l] * x[l]);
}

float sum_of(const float* w, int n) {
  float s = 0;
  for (int l = 0; l < n; ++l) s += w[l];
  return s;
}

// Packs 32 levels of 0..31 as a Q5_0/Q5_1 block does: low nibbles in qs, fifth bits in qh.
template <class Block>
void store_q5_levels(const uint8_t* L, Block& b) {
  uint32_t qh = 0;
  for (int j = 0; j < 16; ++j) {
    b.qs[j] = static_cast<uint8_t>((L[j] & 0x0f) | ((L[j + 16] & 0x0f) << 4));
    qh |= static_cast<uint32_t>((L[j] & 0x10u) >> 4) << j;
    qh |= static_cast<uint32_t>((L[j + 16] & 0x10u) >> 4) << (j + 16);
  }
  std::memcpy(b.qh, &qh, sizeof qh);
}

}  // namespace

void quantize_q2_K_weighted(const float* x, void* dst, int64_t n, const float* qw) {
  auto* b = static_cast<BlockQ2_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K, qw += kQK_K) {
    uint8_t L[kQK_K], Laux[16], Ls[kQK_K / 16], Lm[kQK_K / 16];
    float scales[kQK_K / 16], mins[kQK_K / 16], sw[kQK_K / 16], weight[16];
    const float sigma2 = sum_squares(x, kQK_K) / kQK_K;
    for (int j = 0; j < kQK_K / 16; ++j) {
      importance_weights(x + 16 * j, qw + 16 * j, sigma2, 16, weight);
      sw[j] = sum_of(weight, 16);
      // The reference's make_qkx3_quants, which with weights given is make_qkx2_quants.
      scales[j] = make_qkx2_quants(16, 3, x + 16 * j, weight, L + 16 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false);
    }
    b[i].d = f2h(make_qp_quants(kQK_K / 16, 15, scales, Ls, sw));
    b[i].dmin = f2h(make_qp_quants(kQK_K / 16, 15, mins, Lm, sw));
    for (int j = 0; j < kQK_K / 16; ++j) b[i].scales[j] = static_cast<uint8_t>(Ls[j] | (Lm[j] << 4));
    finish_q2_K(x, L, b[i]);
  }
}

void quantize_q3_K_weighted(const float* x, void* dst, int64_t n, const float* qw) {
  auto* b = static_cast<BlockQ3_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K, qw += kQK_K) {
    int8_t L[kQK_K], Ls[kQK_K / 16];
    float scales[kQK_K / 16], sw[kQK_K / 16], weight[16];
    const float sigma2 = 2 * sum_squares(x, kQK_K) / kQK_K;
    for (int j = 0; j < kQK_K / 16; ++j) {
      importance_weights(x + 16 * j, qw + 16 * j, sigma2, 16, weight);
      sw[j] = sum_of(weight, 16);
      scales[j] = make_qx_quants(16, 4, x + 16 * j, L + 16 * j, 1, weight);
    }
    std::memset(b[i].scales, 0, sizeof b[i].scales);
    const float d_block = make_qx_quants(kQK_K / 16, 32, scales, Ls, 1, sw);
    for (int j = 0; j < kQK_K / 16; ++j) put_q3_scale(j, Ls[j], b[i].scales);
    b[i].d = f2h(d_block);
    finish_q3_K(x, L, b[i]);
  }
}

namespace {

// Q4_K and Q5_K differ only in the level range and the packing of the levels.
template <class Block>
void quantize_k4_weighted(const float* x, Block& b, const float* qw, int max_level) {
  uint8_t L[kQK_K], Laux[32], Ls[kQK_K / 32], Lm[kQK_K / 32];
  float scales[kQK_K / 32], mins[kQK_K / 32], sw[kQK_K / 32], weights[32];
  const float sigma2 = 2 * sum_squares(x, kQK_K) / kQK_K;
  for (int j = 0; j < kQK_K / 32; ++j) {
    importance_weights(x + 32 * j, qw + 32 * j, sigma2, 32, weights);
    sw[j] = sum_of(weights, 32);
    scales[j] = make_qkx2_quants(32, max_level, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false);
  }
  const float d_block = make_qp_quants(kQK_K / 32, 63, scales, Ls, sw);
  const float m_block = make_qp_quants(kQK_K / 32, 63, mins, Lm, sw);
  for (int j = 0; j < kQK_K / 32; ++j) put_scale_min_k4(j, Ls[j], Lm[j], b.scales);
  b.d = f2h(d_block);
  b.dmin = f2h(m_block);
  requantize_k4(x, max_level, L, b);
  if constexpr (sizeof(Block) == sizeof(BlockQ4_K))
    store_q4_K_levels(L, b);
  else
    store_q5_K_levels(L, b);
}

}  // namespace

void quantize_q4_K_weighted(const float* x, void* dst, int64_t n, const float* qw) {
  auto* b = static_cast<BlockQ4_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) quantize_k4_weighted(x + i * kQK_K, b[i], qw + i * kQK_K, 15);
}

void quantize_q5_K_weighted(const float* x, void* dst, int64_t n, const float* qw) {
  auto* b = static_cast<BlockQ5_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) quantize_k4_weighted(x + i * kQK_K, b[i], qw + i * kQK_K, 31);
}

void quantize_q6_K_weighted(const float* x, void* dst, int64_t n, const float* qw) {
  auto* b = static_cast<BlockQ6_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K, qw += kQK_K) {
    int8_t L[kQK_K];
    float scales[kQK_K / 16];
    for (int ib = 0; ib < kQK_K / 16; ++ib) scales[ib] = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib, 1, qw + 16 * ib);
    pack_q6_K(x, scales, L, b[i]);
  }
}

void quantize_q4_0_weighted(const float* x, void* dst, int64_t n, const float* qw) {
  auto* b = static_cast<BlockQ4_0*>(dst);
  const float sigma2 = sum_squares(x, n) / static_cast<float>(n);
  for (int64_t ib = 0; ib < n / kQK; ++ib) {
    float weight[kQK];
    int8_t L[kQK];
    importance_weights(x + kQK * ib, qw + kQK * ib, sigma2, kQK, weight);
    b[ib].d = f2h(make_qx_quants(kQK, 8, x + kQK * ib, L, 1, weight));
    for (int j = 0; j < 16; ++j) b[ib].qs[j] = static_cast<uint8_t>(L[j] | (L[j + 16] << 4));
  }
}

void quantize_q5_0_weighted(const float* x, void* dst, int64_t n, const float* qw) {
  auto* b = static_cast<BlockQ5_0*>(dst);
  const float sigma2 = sum_squares(x, n) / static_cast<float>(n);
  for (int64_t ib = 0; ib < n / kQK; ++ib) {
    float weight[kQK];
    int8_t L[kQK];
    importance_weights(x + kQK * ib, qw + kQK * ib, sigma2, kQK, weight);
    b[ib].d = f2h(make_qx_quants(kQK, 16, x + kQK * ib, L, 1, weight));
    uint8_t levels[kQK];
    for (int j = 0; j < kQK; ++j) levels[j] = static_cast<uint8_t>(L[j]);
    store_q5_levels(levels, b[ib]);
  }
}

namespace {

// Q4_1 / Q5_1: an asymmetric fit per block of 32; m is the (non-positive) offset.
template <class Block>
void quantize_offset_weighted(const float* x, Block* b, int64_t n, const float* qw, int max_level) {
  const float sigma2 = sum_squares(x, n) / static_cast<float>(n);
  for (int64_t ib = 0; ib < n / kQK; ++ib) {
    float weight[kQK], neg_min;
    uint8_t L[kQK], Laux[kQK];
    importance_weights(x + kQK * ib, qw + kQK * ib, sigma2, kQK, weight);
    const float d = make_qkx2_quants(kQK, max_level, x + kQK * ib, weight, L, &neg_min, Laux, -0.9f, 0.05f, 36, false);
    b[ib].d = f2h(d);
    b[ib].m = f2h(-neg_min);
    if constexpr (sizeof(Block) == sizeof(BlockQ4_1))
      for (int j = 0; j < 16; ++j) b[ib].qs[j] = static_cast<uint8_t>(L[j] | (L[j + 16] << 4));
    else
      store_q5_levels(L, b[ib]);
  }
}

}  // namespace

void quantize_q4_1_weighted(const float* x, void* dst, int64_t n, const float* qw) {
  quantize_offset_weighted(x, static_cast<BlockQ4_1*>(dst), n, qw, 15);
}

void quantize_q5_1_weighted(const float* x, void* dst, int64_t n, const float* qw) {
  quantize_offset_weighted(x, static_cast<BlockQ5_1*>(dst), n, qw, 31);
}

void quantize_iq4_nl_weighted(const float* x, void* dst, int64_t n, const float* qw) {
  auto* b = static_cast<BlockIQ4_NL*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK, qw += kQK) {
    float weight[kQK];
    importance_weights(x, qw, sum_squares(x, kQK) * (2.f / kQK), kQK, weight);
    pack_iq4_nl(x, iq4_block_scale(x, weight), b[i]);
  }
}

void quantize_iq4_xs_weighted(const float* x, void* dst, int64_t n, const float* qw) {
  auto* b = static_cast<BlockIQ4_XS*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K, qw += kQK_K) {
    const float sigma2 = sum_squares(x, kQK_K) * (2.f / kQK_K);
    float scales[kQK_K / 32], weight[32];
    for (int ib = 0; ib < kQK_K / 32; ++ib) {
      importance_weights(x + 32 * ib, qw + 32 * ib, sigma2, 32, weight);
      scales[ib] = iq4_block_scale(x + 32 * ib, weight);
    }
    pack_iq4_xs(x, scales, b[i]);
  }
}

}  // namespace airlock::quant
