// IQ1_S quantizer: groups of 8 values on a 2048-point grid of levels -1, 0, +1, each block of 32
// shifted by +delta or -delta (the sign of the shift is stored with its 3-bit scale). The levels
// of a block come from an exhaustive search over the two boundaries that split its sorted values
// into three runs; groups that land off the grid go to the best of their neighbours. It needs an
// importance matrix, as llama.cpp's does (quantize_row_iq1_s_impl, whose order of float
// operations this follows).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include "tensor/quant_blocks.h"
#include "tensor/quant_formats.h"
#include "tensor/quant_iq_lattice.h"
#include "tensor/quant_math.h"

namespace airlock::quant {

namespace {

#include "tensor/quant_iq_grid_codes.inc"

constexpr int kBlock = 32;
constexpr int kMapSize = 43692;  // as for IQ2: codes up to 0xaaaa + 2
constexpr float kDelta = 0.125f;
constexpr float kEps = 1e-12f;

using Lattice = IqLattice<8, 2>;

// The sparse 1-bit grid keeps the points of the three nearest distances.
const Lattice& lattice_2048() {
  static const Lattice l(two_bit_codes(kIQ1SCodes), kMapSize, 3);
  return l;
}

// The neighbour of an off-grid code that best fits xb at the scale, with the shifted level values
// xg and the weights themselves (not their roots, unlike the IQ2 search); its levels go to L.
int best_neighbour(const Lattice& lat, int code, const float* xb, const float* weight, float scale, const float* xg,
                   int8_t* L) {
  const uint16_t* list = lat.neighbours.data() + (-lat.map[code] - 1);
  float best_d2 = FLT_MAX;
  int best = list[1];
  for (int j = 1; j <= list[0]; ++j) {
    const auto& pg = lat.grid[list[j]];
    float d2 = 0;
    for (int i = 0; i < 8; ++i) {
      const float q = xg[(pg[i] - 1) / 2];
      const float diff = scale * q - xb[i];
      d2 += weight[i] * diff * diff;
    }
    if (d2 < best_d2) {
      best_d2 = d2;
      best = list[j];
    }
  }
  lat.set_levels(best, L);
  return best;
}

// sumqx / sumq2 of the split [0, i1) -> level 0, [i1, i2) -> 1, [i2, 32) -> 2 with level values xg,
// from the running sums over the sorted values.
void split_fit(const float* sumx, const float* sumw, int i1, int i2, const float* xg, float& sumqx, float& sumq2) {
  sumqx = (sumx[i1] - sumx[0]) * xg[0] + (sumx[i2] - sumx[i1]) * xg[1] + (sumx[kBlock] - sumx[i2]) * xg[2];
  sumq2 = (sumw[i1] - sumw[0]) * xg[0] * xg[0] + (sumw[i2] - sumw[i1]) * xg[1] * xg[1] +
          (sumw[kBlock] - sumw[i2]) * xg[2] * xg[2];
}

}  // namespace

void quantize_iq1_s_weighted(const float* x, void* dst, int64_t n, const float* quant_weights) {
  const Lattice& lat = lattice_2048();
  auto* y = static_cast<BlockIQ1_S*>(dst);
  const float x_p[3] = {-1 + kDelta, kDelta, 1 + kDelta};
  const float x_m[3] = {-1 - kDelta, -kDelta, 1 - kDelta};
  for (int64_t ibl = 0; ibl < n / kQK_K; ++ibl) {
    const float* xbl = x + kQK_K * ibl;
    BlockIQ1_S& b = y[ibl];
    std::memset(&b, 0, sizeof b);
    float scales[kQK_K / kBlock];
    int shifts[kQK_K / kBlock];
    float sumx2 = 0;
    for (int i = 0; i < kQK_K; ++i) sumx2 += xbl[i] * xbl[i];
    const float sigma2 = 2 * sumx2 / kQK_K;
    float max_scale = 0;
    for (int ib = 0; ib < kQK_K / kBlock; ++ib) {
      const float* xb = xbl + kBlock * ib;
      const float* qw = quant_weights + kQK_K * ibl + kBlock * ib;
      float weight[kBlock];
      for (int i = 0; i < kBlock; ++i) weight[i] = qw[i] * std::sqrt(sigma2 + xb[i] * xb[i]);
      float max = std::fabs(xb[0]);
      for (int i = 1; i < kBlock; ++i) max = std::max(max, std::fabs(xb[i]));
      scales[ib] = 0;
      shifts[ib] = 1;
      if (!(max >= kEps)) continue;
      // The reference sorts with glibc's qsort, a stable merge sort at this size: ties keep their
      // order.
      int order[kBlock];
      std::iota(order, order + kBlock, 0);
      std::stable_sort(order, order + kBlock, [xb](int a, int c) { return xb[a] < xb[c]; });
      float sumx[kBlock + 1], sumw[kBlock + 1];
      sumx[0] = sumw[0] = 0;
      for (int j = 0; j < kBlock; ++j) {
        const int i = order[j];
        sumx[j + 1] = sumx[j] + weight[i] * xb[i];
        sumw[j + 1] = sumw[j] + weight[i];
      }
      float best = -FLT_MAX, scale = max;
      int best1 = -1, best2 = -1, shift = 0;
      for (int i1 = 0; i1 <= kBlock; ++i1) {
        for (int i2 = i1; i2 <= kBlock; ++i2) {
          float sumqx, sumq2;
          split_fit(sumx, sumw, i1, i2, x_p, sumqx, sumq2);
          if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
            scale = sumqx / sumq2;
            best = scale * sumqx;
            best1 = i1, best2 = i2, shift = 1;
          }
          split_fit(sumx, sumw, i1, i2, x_m, sumqx, sumq2);
          if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
            scale = sumqx / sumq2;
            best = scale * sumqx;
            best1 = i1, best2 = i2, shift = -1;
          }
        }
      }
      if (best1 < 0) continue;  // no split fits (zero weights): the block stays zero
      int8_t L[kBlock];
      for (int j = 0; j < kBlock; ++j) L[order[j]] = static_cast<int8_t>(j < best1 ? 0 : j < best2 ? 1 : 2);
      if (scale < 0) {
        for (int8_t& l : L) l = static_cast<int8_t>(2 - l);
        scale = -scale;
        shift = -shift;
      }
      const float* xg = shift == 1 ? x_p : x_m;
      int index[kBlock / 8];
      bool all_on_grid = true;
      for (int k = 0; k < kBlock / 8; ++k) {
        const int u = lat.code_of(L + 8 * k);
        index[k] = lat.map[u];
        if (index[k] < 0) {
          all_on_grid = false;
          index[k] = best_neighbour(lat, u, xb + 8 * k, weight + 8 * k, scale, xg, L + 8 * k);
        }
      }
      if (!all_on_grid) {
        float sumqx = 0, sumq2 = 0;
        for (int k = 0; k < kBlock / 8; ++k) {
          const auto& pg = lat.grid[index[k]];
          for (int j = 0; j < 8; ++j) {
            const float w = weight[8 * k + j];
            const float q = xg[(pg[j] - 1) / 2];
            sumqx += w * q * xb[8 * k + j];
            sumq2 += w * q * q;
          }
        }
        if (sumqx > 0 && sumq2 > 0) scale = sumqx / sumq2;
      }
      uint16_t h = 0;
      for (int k = 0; k < kBlock / 8; ++k) {
        b.qs[(kBlock / 8) * ib + k] = static_cast<uint8_t>(index[k] & 255);
        h = static_cast<uint16_t>(h | ((index[k] >> 8) << (3 * k)));
      }
      b.qh[ib] = h;
      scales[ib] = scale;
      shifts[ib] = shift;
      max_scale = std::max(max_scale, scale);
    }
    if (!max_scale) continue;
    const float d = max_scale / 15;
    // The stored scale is enlarged a little, as llama.cpp stores it (the codes still use d).
    b.d = f2h(d * 1.125f);
    const float id = 1 / d;
    for (int ib = 0; ib < kQK_K / kBlock; ++ib) {
      int l = std::clamp(nearest_int(0.5f * (id * scales[ib] - 1)), 0, 7);
      if (shifts[ib] == -1) l |= 8;
      b.qh[ib] = static_cast<uint16_t>(b.qh[ib] | (l << 12));
    }
  }
}

}  // namespace airlock::quant
