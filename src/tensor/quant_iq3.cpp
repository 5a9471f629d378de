// IQ3_XXS and IQ3_S quantizers. Each group of 4 values (signs stored apart) is one point of a
// lattice grid whose coordinates are the odd levels 1, 3, ..., 15 (3-bit codes l, value 2l + 1):
// 256 points for IQ3_XXS, 512 for IQ3_S (the grids of quant_iq_grids.h, as codes). A scale search
// per block of 32 rounds each group to the nearest lattice point; a rounded point off the grid is
// replaced by the best of its nearest grid points (the neighbour lists below), weighted by the
// importance of each value. The blocks equal llama.cpp's quantize_row_iq3_xxs_impl /
// quantize_row_iq3_s_impl, whose order of float operations this follows.
#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <vector>

#include "tensor/quant_blocks.h"
#include "tensor/quant_formats.h"
#include "tensor/quant_iq_lattice.h"
#include "tensor/quant_math.h"

namespace airlock::quant {

namespace {

#include "tensor/quant_iq_grid_codes.inc"

constexpr int kMaxQ = 8;          // levels per coordinate
constexpr int kMapSize = 4096;    // every 4-coordinate code, 3 bits each
constexpr float kIQ3XXSEps = 1e-8f;

using Lattice = IqLattice<4, 3>;

template <size_t N>
std::vector<uint32_t> codes_of(const uint16_t (&codes)[N]) {
  return std::vector<uint32_t>(codes, codes + N);
}

const Lattice& lattice_256() {
  static const Lattice l(codes_of(kIQ3XXSCodes), kMapSize, 2);
  return l;
}

const Lattice& lattice_512() {
  static const Lattice l(codes_of(kIQ3SCodes), kMapSize, 3);
  return l;
}

// Per block of 32: the weights (importance or x^2), their square roots (what the neighbour search
// weighs), and the magnitudes xval.
void block_weights(const float* xb, const float* qw, float sigma2, float* weight, float* waux) {
  for (int i = 0; i < 32; ++i) weight[i] = qw ? qw[i] * std::sqrt(sigma2 + xb[i] * xb[i]) : xb[i] * xb[i];
  for (int i = 0; i < 32; ++i) waux[i] = std::sqrt(weight[i]);
}

// What the search of one block leaves for the next: when no trial scale fits at all (all weights
// zero, e.g. an importance matrix of zeros) a block keeps the levels and on-grid flags of the block
// before, as in the reference. The reference keeps them for a row and starts from whatever the
// stack held; here they start as valid levels, so every code stays inside the map, and each
// super-block starts afresh, so the bytes do not depend on how rows are split between threads.
struct SearchState {
  int8_t L[32] = {};
  bool on_grid[8] = {true, true, true, true, true, true, true, true};
};

// The scale search of one block of 32 (8 groups) over `steps` trial scales 2*kMaxQ-1 + 0.2*is;
// `requantize_all`: after the search, round every group again at the chosen scale (IQ3_S) rather
// than only those the search put off the grid (IQ3_XXS). Returns the scale; st.L gets the levels.
float search_block(const Lattice& lat, const float* xval, const float* weight, const float* waux, int steps,
                   bool requantize_all, SearchState& st) {
  int8_t* L = st.L;
  bool* on_grid = st.on_grid;
  const float max = max_of(xval, 32);
  float best = 0, scale = max / (2 * kMaxQ - 1);
  if (requantize_all) std::fill(on_grid, on_grid + 8, false);
  bool on_grid_aux[8];
  int8_t Laux[32];
  for (int is = -steps; is <= steps; ++is) {
    const float id = (2 * kMaxQ - 1 + static_cast<float>(is) * 0.2f) / max;
    const float this_scale = 1 / id;
    for (int k = 0; k < 8; ++k) {
      const int u = Lattice::nearest_code(id, xval + 4 * k, kMaxQ, Laux + 4 * k);
      on_grid_aux[k] = lat.map[u] >= 0;
      if (!on_grid_aux[k]) lat.best_neighbour(u, xval + 4 * k, waux + 4 * k, this_scale, Laux + 4 * k);
    }
    float sumq2;
    const float sumqx = odd_level_fit(weight, xval, Laux, 32, sumq2);
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      scale = sumqx / sumq2;
      best = scale * sumqx;
      std::copy(Laux, Laux + 32, L);
      std::copy(on_grid_aux, on_grid_aux + 8, on_grid);
    }
  }
  const bool any_off = std::find(on_grid, on_grid + 8, false) != on_grid + 8;
  if (any_off && scale > 0) {
    const float id = 1 / scale;
    for (int k = 0; k < 8; ++k) {
      if (on_grid[k] && !requantize_all) continue;
      int8_t levels[4];
      const int u = Lattice::nearest_code(id, xval + 4 * k, kMaxQ, levels);
      const int g = lat.map[u] >= 0 ? lat.map[u] : lat.best_neighbour(u, xval + 4 * k, waux + 4 * k, scale, L + 4 * k);
      lat.set_levels(g, L + 4 * k);
    }
    float sumq2;
    const float sumqx = odd_level_fit(weight, xval, L, 32, sumq2);
    if (sumq2 > 0) scale = sumqx / sumq2;
  }
  return scale;
}

void iq3_xxs_row(const float* x, void* dst, int64_t n, const float* quant_weights) {
  const Lattice& lat = lattice_256();
  auto* y = static_cast<BlockIQ3_XXS*>(dst);
  for (int64_t ibl = 0; ibl < n / kQK_K; ++ibl) {
    SearchState st;
    const float* xbl = x + kQK_K * ibl;
    uint8_t q3[3 * kQK_K / 8] = {};
    uint32_t scales_and_signs[kQK_K / 32] = {};
    float scales[kQK_K / 32], weight[32], waux[32], xval[32];
    float sumx2 = 0;
    for (int i = 0; i < kQK_K; ++i) sumx2 += xbl[i] * xbl[i];
    const float sigma2 = 2 * sumx2 / kQK_K;
    float max_scale = 0;
    for (int ib = 0; ib < kQK_K / 32; ++ib) {
      const float* xb = xbl + 32 * ib;
      block_weights(xb, quant_weights ? quant_weights + kQK_K * ibl + 32 * ib : nullptr, sigma2, weight, waux);
      // Seven sign bits per 8 values: an odd number of negatives flips the least important one.
      uint8_t block_signs[4];
      for (int k = 0; k < 4; ++k)
        block_signs[k] = group_signs(xb + 8 * k, weight + 8 * k, true, xval + 8 * k) & 127;
      if (max_of(xval, 32) < kIQ3XXSEps) {
        scales[ib] = 0;
        std::fill(st.L, st.L + 32, int8_t{0});
        continue;
      }
      float scale = search_block(lat, xval, weight, waux, 15, false, st);
      if (scale < 0) {
        scale = -scale;
        for (int k = 0; k < 4; ++k) block_signs[k] = static_cast<uint8_t>(~block_signs[k] & 127);
      }
      for (int k = 0; k < 8; ++k) q3[8 * ib + k] = static_cast<uint8_t>(lat.index_of(st.L + 4 * k, xval + 4 * k, waux + 4 * k));
      scales_and_signs[ib] = static_cast<uint32_t>(block_signs[0] | (block_signs[1] << 7) | (block_signs[2] << 14) |
                                                   (block_signs[3] << 21));
      scales[ib] = scale;
      max_scale = std::max(max_scale, scale);
    }
    BlockIQ3_XXS& b = y[ibl];
    std::memset(&b, 0, sizeof b);
    if (!max_scale) continue;
    const float d = max_scale / 31;
    b.d = f2h(d * 1.0125f);
    const float id = 1 / d;
    for (int ib = 0; ib < kQK_K / 32; ++ib) scales_and_signs[ib] |= static_cast<uint32_t>(scale_code(id, scales[ib])) << 28;
    std::memcpy(b.qs, q3, kQK_K / 4);
    std::memcpy(b.qs + kQK_K / 4, scales_and_signs, sizeof scales_and_signs);
  }
}

void iq3_s_row(const float* x, void* dst, int64_t n, const float* quant_weights) {
  const Lattice& lat = lattice_512();
  auto* y = static_cast<BlockIQ3_S*>(dst);
  for (int64_t ibl = 0; ibl < n / kQK_K; ++ibl) {
    SearchState st;
    BlockIQ3_S& b = y[ibl];
    std::memset(&b, 0, sizeof b);
    const float* xbl = x + kQK_K * ibl;
    float scales[kQK_K / 32], weight[32], waux[32], xval[32];
    float sumx2 = 0;
    for (int i = 0; i < kQK_K; ++i) sumx2 += xbl[i] * xbl[i];
    const float sigma2 = 2 * sumx2 / kQK_K;
    float max_scale = 0;
    for (int ib = 0; ib < kQK_K / 32; ++ib) {
      const float* xb = xbl + 32 * ib;
      block_weights(xb, quant_weights ? quant_weights + kQK_K * ibl + 32 * ib : nullptr, sigma2, weight, waux);
      // All eight sign bits are stored.
      uint8_t block_signs[4];
      for (int k = 0; k < 4; ++k) block_signs[k] = group_signs(xb + 8 * k, weight + 8 * k, false, xval + 8 * k);
      if (!max_of(xval, 32)) {
        scales[ib] = 0;
        continue;
      }
      float scale = search_block(lat, xval, weight, waux, 9, true, st);
      if (scale < 0) {
        scale = -scale;
        for (uint8_t& s : block_signs) s = static_cast<uint8_t>(~s);
      }
      for (int k = 0; k < 8; ++k) {
        const int g = lat.index_of(st.L + 4 * k, xval + 4 * k, waux + 4 * k);
        b.qs[8 * ib + k] = static_cast<uint8_t>(g & 255);
        b.qh[ib] = static_cast<uint8_t>(b.qh[ib] | ((g >> 8) << k));
      }
      std::memcpy(b.signs + 4 * ib, block_signs, 4);
      scales[ib] = scale;
      max_scale = std::max(max_scale, scale);
    }
    if (!max_scale) continue;
    const float d = max_scale / 31;
    b.d = f2h(d * 1.033f);
    const float id = 1 / d;
    for (int ib = 0; ib < kQK_K / 32; ib += 2)
      b.scales[ib / 2] = static_cast<uint8_t>(scale_code(id, scales[ib]) | (scale_code(id, scales[ib + 1]) << 4));
  }
}

}  // namespace

void quantize_iq3_xxs(const float* x, void* dst, int64_t n) { iq3_xxs_row(x, dst, n, nullptr); }
void quantize_iq3_xxs_weighted(const float* x, void* dst, int64_t n, const float* qw) { iq3_xxs_row(x, dst, n, qw); }
void quantize_iq3_s(const float* x, void* dst, int64_t n) { iq3_s_row(x, dst, n, nullptr); }
void quantize_iq3_s_weighted(const float* x, void* dst, int64_t n, const float* qw) { iq3_s_row(x, dst, n, qw); }

}  // namespace airlock::quant
