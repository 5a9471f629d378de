// IQ2_XXS, IQ2_XS and IQ2_S quantizers: groups of 8 magnitudes as points of a lattice grid with
// levels 1, 3, 5 (2-bit codes), 256 points for IQ2_XXS, 512 for IQ2_XS, 1024 for IQ2_S, a 4-bit
// scale per block of 32 (IQ2_XXS) or 16 (IQ2_XS, IQ2_S). IQ2_XXS and IQ2_XS store 7 sign bits per
// group (the eighth implied by even parity), IQ2_S all 8. They need an importance matrix, as
// llama.cpp's do (quantize_row_iq2_{xxs,xs,s}_impl, whose order of float operations this follows).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "tensor/quant_blocks.h"
#include "tensor/quant_formats.h"
#include "tensor/quant_iq_lattice.h"
#include "tensor/quant_k_search.h"
#include "tensor/quant_math.h"

namespace airlock::quant {

namespace {

#include "tensor/quant_iq_grid_codes.inc"

constexpr int kMaxQ = 3;          // levels per coordinate
constexpr int kMapSize = 43692;   // codes up to 0xaaaa (every coordinate at most level 2) + 2
constexpr float kEps = 1e-15f;
constexpr float kEpsIQ2S = 1e-8f;  // the reference's smallest block maximum for IQ2_S

using Lattice = IqLattice<8, 2>;

const Lattice& lattice_256() {
  static const Lattice l(two_bit_codes(kIQ2XXSCodes), kMapSize, 2);
  return l;
}

const Lattice& lattice_512() {
  static const Lattice l(two_bit_codes(kIQ2XSCodes), kMapSize, 2);
  return l;
}

// The 1024-point grid is dense enough that the reference keeps only the nearest distance's points.
const Lattice& lattice_1024() {
  static const Lattice l(two_bit_codes(kIQ2SCodes), kMapSize, 1);
  return l;
}

void weights_of(const float* xb, const float* qw, float sigma2, int n, float* weight, float* waux) {
  for (int i = 0; i < n; ++i) weight[i] = qw[i] * std::sqrt(sigma2 + xb[i] * xb[i]);
  for (int i = 0; i < n; ++i) waux[i] = std::sqrt(weight[i]);
}

float sum_squares(const float* xbl) {
  float s = 0;
  for (int i = 0; i < kQK_K; ++i) s += xbl[i] * xbl[i];
  return s;
}

// Two 4-bit scale codes per byte, even blocks in the low nibble.
void pack_scales16(float id, const float* scales, uint8_t* out) {
  for (int ib = 0; ib < kQK_K / 16; ib += 2)
    out[ib / 2] = static_cast<uint8_t>(scale_code(id, scales[ib]) | (scale_code(id, scales[ib + 1]) << 4));
}

// The scale search of IQ2_XS and IQ2_S for a block of 16 magnitudes (two groups of 8) whose
// largest is max: 19 trial scales around max / 5, each group rounded to the lattice (through its
// neighbour list when off the grid) and the block refitted; groups the best trial left off the
// grid are rounded again at its scale. The levels go to L (kept from the previous block when no
// trial fits, as in the reference); returns the scale, which may be negative.
float search_block16(const Lattice& lat, const float* xval, const float* weight, const float* waux, float max,
                     int8_t* L) {
  int8_t Laux[16];
  float best = 0, scale = max / (2 * kMaxQ - 1);
  bool on_grid[2] = {true, true}, on_grid_aux[2];
  for (int is = -9; is <= 9; ++is) {
    const float id = (2 * kMaxQ - 1 + static_cast<float>(is) * 0.1f) / max;
    const float this_scale = 1 / id;
    for (int k = 0; k < 2; ++k) {
      const int u = Lattice::nearest_code(id, xval + 8 * k, kMaxQ, Laux + 8 * k);
      on_grid_aux[k] = lat.map[u] >= 0;
      if (!on_grid_aux[k]) lat.best_neighbour(u, xval + 8 * k, waux + 8 * k, this_scale, Laux + 8 * k);
    }
    float sumq2;
    const float sumqx = odd_level_fit(weight, xval, Laux, 16, sumq2);
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      scale = sumqx / sumq2;
      best = scale * sumqx;
      std::memcpy(L, Laux, 16);
      std::copy(on_grid_aux, on_grid_aux + 2, on_grid);
    }
  }
  if ((!on_grid[0] || !on_grid[1]) && scale > 0) {
    const float id = 1 / scale;
    for (int k = 0; k < 2; ++k) {
      if (on_grid[k]) continue;
      const int u = Lattice::nearest_code(id, xval + 8 * k, kMaxQ, L + 8 * k);
      if (lat.map[u] < 0) lat.best_neighbour(u, xval + 8 * k, waux + 8 * k, scale, L + 8 * k);
    }
    float sumq2;
    const float sumqx = odd_level_fit(weight, xval, L, 16, sumq2);
    if (sumq2 > 0) scale = sumqx / sumq2;
  }
  return scale;
}

}  // namespace

void quantize_iq2_xxs_weighted(const float* x, void* dst, int64_t n, const float* quant_weights) {
  const Lattice& lat = lattice_256();
  auto* y = static_cast<BlockIQ2_XXS*>(dst);
  for (int64_t ibl = 0; ibl < n / kQK_K; ++ibl) {
    const float* xbl = x + kQK_K * ibl;
    uint32_t q2[kQK_K / 16] = {};
    float scales[kQK_K / 32], weight[32], waux[32], xval[32];
    // Levels persist across blocks as in the reference (a block no trial fits keeps the last ones).
    int8_t L[32] = {}, Laux[32];
    const float sigma2 = sum_squares(xbl) / kQK_K;
    float max_scale = 0;
    for (int ib = 0; ib < kQK_K / 32; ++ib) {
      const float* xb = xbl + 32 * ib;
      weights_of(xb, quant_weights + kQK_K * ibl + 32 * ib, sigma2, 32, weight, waux);
      uint8_t block_signs[4];
      for (int k = 0; k < 4; ++k) block_signs[k] = group_signs(xb + 8 * k, weight + 8 * k, true, xval + 8 * k) & 127;
      if (max_of(xval, 32) < kEps) {
        scales[ib] = 0;
        std::fill(L, L + 32, int8_t{0});
        continue;
      }
      uint8_t Lqp[32];
      float scale = make_qp_quants(32, kMaxQ + 1, xval, Lqp, weight);
      std::memcpy(L, Lqp, 32);
      const float eff_max = scale * kMaxQ;
      float best = 0;
      for (int is = -6; is <= 6; ++is) {
        const float id = (2 * kMaxQ - 1 + static_cast<float>(is) * 0.1f) / eff_max;
        const float this_scale = 1 / id;
        for (int k = 0; k < 4; ++k) {
          const int u = Lattice::nearest_code(id, xval + 8 * k, kMaxQ, Laux + 8 * k);
          if (lat.map[u] < 0) lat.best_neighbour(u, xval + 8 * k, waux + 8 * k, this_scale, Laux + 8 * k);
        }
        float sumq2;
        const float sumqx = odd_level_fit(weight, xval, Laux, 32, sumq2);
        if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
          scale = sumqx / sumq2;
          best = scale * sumqx;
          std::memcpy(L, Laux, 32);
        }
      }
      if (scale > 0) {
        const float id = 1 / scale;
        for (int k = 0; k < 4; ++k) {
          int8_t levels[8];
          const int u = Lattice::nearest_code(id, xval + 8 * k, kMaxQ, levels);
          const int g = lat.map[u] >= 0 ? lat.map[u] : lat.best_neighbour(u, xval + 8 * k, waux + 8 * k, scale, L + 8 * k);
          lat.set_levels(g, L + 8 * k);
        }
        float sumq2;
        const float sumqx = odd_level_fit(weight, xval, L, 32, sumq2);
        if (sumq2 > 0) scale = sumqx / sumq2;
      }
      if (scale < 0) {
        scale = -scale;
        for (uint8_t& s : block_signs) s = static_cast<uint8_t>(~s & 127);
      }
      for (int k = 0; k < 4; ++k) {
        const int g = lat.index_of(L + 8 * k, xval + 8 * k, waux + 8 * k);
        q2[2 * ib] |= static_cast<uint32_t>(g) << (8 * k);
        q2[2 * ib + 1] |= static_cast<uint32_t>(block_signs[k]) << (7 * k);
      }
      scales[ib] = scale;
      max_scale = std::max(max_scale, scale);
    }
    BlockIQ2_XXS& b = y[ibl];
    std::memset(&b, 0, sizeof b);
    if (!max_scale) continue;
    const float d = max_scale / 31;
    b.d = f2h(d);
    const float id = 1 / d;
    for (int ib = 0; ib < kQK_K / 32; ++ib) q2[2 * ib + 1] |= static_cast<uint32_t>(scale_code(id, scales[ib])) << 28;
    std::memcpy(b.qs, q2, sizeof q2);
  }
}

void quantize_iq2_xs_weighted(const float* x, void* dst, int64_t n, const float* quant_weights) {
  const Lattice& lat = lattice_512();
  auto* y = static_cast<BlockIQ2_XS*>(dst);
  for (int64_t ibl = 0; ibl < n / kQK_K; ++ibl) {
    const float* xbl = x + kQK_K * ibl;
    uint16_t q2[kQK_K / 8] = {};
    float scales[kQK_K / 16], weight[16], waux[16], xval[16];
    int8_t L[16] = {};
    const float sigma2 = sum_squares(xbl) / kQK_K;
    float max_scale = 0;
    for (int ib = 0; ib < kQK_K / 16; ++ib) {
      const float* xb = xbl + 16 * ib;
      weights_of(xb, quant_weights + kQK_K * ibl + 16 * ib, sigma2, 16, weight, waux);
      uint8_t block_signs[2];
      for (int k = 0; k < 2; ++k) block_signs[k] = group_signs(xb + 8 * k, weight + 8 * k, true, xval + 8 * k) & 127;
      const float max = max_of(xval, 16);
      if (max < kEps) {
        scales[ib] = 0;
        std::fill(L, L + 16, int8_t{0});
        continue;
      }
      float scale = search_block16(lat, xval, weight, waux, max, L);
      if (scale < 0) {
        scale = -scale;
        for (uint8_t& s : block_signs) s = static_cast<uint8_t>(~s & 127);
      }
      for (int k = 0; k < 2; ++k)
        q2[2 * ib + k] = static_cast<uint16_t>(lat.index_of(L + 8 * k, xval + 8 * k, waux + 8 * k) | (block_signs[k] << 9));
      scales[ib] = scale;
      max_scale = std::max(max_scale, scale);
    }
    BlockIQ2_XS& b = y[ibl];
    std::memset(&b, 0, sizeof b);
    if (!max_scale) continue;
    const float d = max_scale / 31;
    b.d = f2h(d);
    pack_scales16(1 / d, scales, b.scales);
    std::memcpy(b.qs, q2, sizeof q2);
  }
}

void quantize_iq2_s_weighted(const float* x, void* dst, int64_t n, const float* quant_weights) {
  const Lattice& lat = lattice_1024();
  auto* y = static_cast<BlockIQ2_S*>(dst);
  for (int64_t ibl = 0; ibl < n / kQK_K; ++ibl) {
    const float* xbl = x + kQK_K * ibl;
    BlockIQ2_S& b = y[ibl];
    std::memset(&b, 0, sizeof b);
    float scales[kQK_K / 16], weight[16], waux[16], xval[16];
    int8_t L[16] = {};
    // IQ2_S spreads the weights twice as wide as IQ2_XS does.
    const float sigma2 = 2 * sum_squares(xbl) / kQK_K;
    float max_scale = 0;
    for (int ib = 0; ib < kQK_K / 16; ++ib) {
      const float* xb = xbl + 16 * ib;
      weights_of(xb, quant_weights + kQK_K * ibl + 16 * ib, sigma2, 16, weight, waux);
      // All 8 sign bits are stored: no parity rule, the magnitudes stay as they are.
      uint8_t block_signs[2];
      for (int k = 0; k < 2; ++k) block_signs[k] = group_signs(xb + 8 * k, weight + 8 * k, false, xval + 8 * k);
      const float max = max_of(xval, 16);
      if (max < kEpsIQ2S) {
        scales[ib] = 0;
        std::fill(L, L + 16, int8_t{0});
        continue;
      }
      float scale = search_block16(lat, xval, weight, waux, max, L);
      if (scale < 0) {
        scale = -scale;
        for (uint8_t& s : block_signs) s = static_cast<uint8_t>(~s);
      }
      for (int k = 0; k < 2; ++k) {
        const int i8 = 2 * ib + k;
        const int g = lat.index_of(L + 8 * k, xval + 8 * k, waux + 8 * k);
        b.qs[i8] = static_cast<uint8_t>(g & 255);
        b.qh[i8 / 4] = static_cast<uint8_t>(b.qh[i8 / 4] | ((g >> 8) << (2 * (i8 % 4))));
        b.qs[kQK_K / 8 + i8] = block_signs[k];
      }
      scales[ib] = scale;
      max_scale = std::max(max_scale, scale);
    }
    if (!max_scale) continue;
    const float d = max_scale / 31;
    // The stored scale is shrunk a little, as llama.cpp stores it (the codes still use d).
    b.d = f2h(d * 0.9875f);
    pack_scales16(1 / d, scales, b.scales);
  }
}

}  // namespace airlock::quant
