// IQ1_S and IQ1_M quantizers: groups of 8 values on a 2048-point grid of levels -1, 0, +1,
// shifted by +delta or -delta per block of 32 (IQ1_S, the sign stored with its 3-bit scale) or per
// group of 8 (IQ1_M, blocks of 16). The levels of a block come from an exhaustive search over the
// two boundaries that split its sorted values into three runs; groups that land off the grid go to
// the best of their neighbours. They need an importance matrix, as llama.cpp's do
// (quantize_row_iq1_s_impl / quantize_row_iq1_m_impl, whose order of float operations this
// follows).
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
constexpr float kEpsIQ1M = 1e-7f;
constexpr float kPlus[3] = {-1 + kDelta, kDelta, 1 + kDelta};
constexpr float kMinus[3] = {-1 - kDelta, -kDelta, 1 - kDelta};

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

// The positions of a block's values in ascending order. The reference sorts with glibc's qsort, a
// stable merge sort at this size: ties keep their order.
template <int N>
void sorted_order(const float* xb, int* order) {
  std::iota(order, order + N, 0);
  std::stable_sort(order, order + N, [xb](int a, int c) { return xb[a] < xb[c]; });
}

template <int N>
void weights_of(const float* xb, const float* qw, float sigma2, float* weight) {
  for (int i = 0; i < N; ++i) weight[i] = qw[i] * std::sqrt(sigma2 + xb[i] * xb[i]);
}

float sigma2_of(const float* xbl) {
  float sumx2 = 0;
  for (int i = 0; i < kQK_K; ++i) sumx2 += xbl[i] * xbl[i];
  return 2 * sumx2 / kQK_K;
}

// IQ1_M's shift choice k (0: +,+  1: +,-  2: -,+  3: -,-) gives group g of a block these levels.
const float* iq1m_levels(int k, int g) {
  if (g == 0) return k < 2 ? kPlus : kMinus;
  return k % 2 == 0 ? kPlus : kMinus;
}

}  // namespace

void quantize_iq1_s_weighted(const float* x, void* dst, int64_t n, const float* quant_weights) {
  const Lattice& lat = lattice_2048();
  auto* y = static_cast<BlockIQ1_S*>(dst);
  const float* x_p = kPlus;
  const float* x_m = kMinus;
  for (int64_t ibl = 0; ibl < n / kQK_K; ++ibl) {
    const float* xbl = x + kQK_K * ibl;
    BlockIQ1_S& b = y[ibl];
    std::memset(&b, 0, sizeof b);
    float scales[kQK_K / kBlock];
    int shifts[kQK_K / kBlock];
    const float sigma2 = sigma2_of(xbl);
    float max_scale = 0;
    for (int ib = 0; ib < kQK_K / kBlock; ++ib) {
      const float* xb = xbl + kBlock * ib;
      float weight[kBlock];
      weights_of<kBlock>(xb, quant_weights + kQK_K * ibl + kBlock * ib, sigma2, weight);
      float max = std::fabs(xb[0]);
      for (int i = 1; i < kBlock; ++i) max = std::max(max, std::fabs(xb[i]));
      scales[ib] = 0;
      shifts[ib] = 1;
      if (!(max >= kEps)) continue;
      int order[kBlock];
      sorted_order<kBlock>(xb, order);
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

void quantize_iq1_m_weighted(const float* x, void* dst, int64_t n, const float* quant_weights) {
  constexpr int kB = 16;
  const Lattice& lat = lattice_2048();
  auto* y = static_cast<BlockIQ1_M*>(dst);
  const uint8_t masks[4] = {0x00, 0x80, 0x08, 0x88};
  for (int64_t ibl = 0; ibl < n / kQK_K; ++ibl) {
    const float* xbl = x + kQK_K * ibl;
    BlockIQ1_M& b = y[ibl];
    std::memset(&b, 0, sizeof b);
    float scales[kQK_K / kB];
    int shifts[kQK_K / kB];
    const float sigma2 = sigma2_of(xbl);
    float max_scale = 0;
    for (int ib = 0; ib < kQK_K / kB; ++ib) {
      const float* xb = xbl + kB * ib;
      float weight[kB];
      weights_of<kB>(xb, quant_weights + kQK_K * ibl + kB * ib, sigma2, weight);
      float max = std::fabs(xb[0]);
      for (int i = 1; i < kB; ++i) max = std::max(max, std::fabs(xb[i]));
      scales[ib] = 0;
      shifts[ib] = 0;
      if (!(max >= kEpsIQ1M)) continue;
      int order[kB];
      sorted_order<kB>(xb, order);
      float best = -FLT_MAX, scale = max;
      int best1 = -1, best2 = -1, best_k = -1;
      for (int i1 = 0; i1 <= kB; ++i1) {
        for (int i2 = i1; i2 <= kB; ++i2) {
          // The four shift choices summed from scratch in sorted order, as the reference sums them.
          float sumqx[4] = {}, sumq2[4] = {};
          for (int j = 0; j < kB; ++j) {
            const int i = order[j];
            const int l = j < i1 ? 0 : j < i2 ? 1 : 2;
            for (int k = 0; k < 4; ++k) {
              const float q = iq1m_levels(k, i / 8)[l];
              sumqx[k] += weight[i] * q * xb[i];
              sumq2[k] += weight[i] * q * q;
            }
          }
          for (int k = 0; k < 4; ++k) {
            if (sumq2[k] > 0 && sumqx[k] * sumqx[k] > best * sumq2[k]) {
              scale = sumqx[k] / sumq2[k];
              best = scale * sumqx[k];
              best1 = i1, best2 = i2, best_k = k;
            }
          }
        }
      }
      if (best1 < 0) continue;  // no split fits (zero weights): the block stays zero
      int8_t L[kB];
      for (int j = 0; j < kB; ++j) L[order[j]] = static_cast<int8_t>(j < best1 ? 0 : j < best2 ? 1 : 2);
      if (scale < 0) {
        for (int8_t& l : L) l = static_cast<int8_t>(2 - l);
        scale = -scale;
        best_k = 3 - best_k;  // both shifts flip
      }
      int index[2];
      bool all_on_grid = true;
      for (int k = 0; k < 2; ++k) {
        const int u = lat.code_of(L + 8 * k);
        index[k] = lat.map[u];
        if (index[k] < 0) {
          all_on_grid = false;
          index[k] = best_neighbour(lat, u, xb + 8 * k, weight + 8 * k, scale, iq1m_levels(best_k, k), L + 8 * k);
        }
      }
      if (!all_on_grid) {
        float sumqx = 0, sumq2 = 0;
        for (int k = 0; k < 2; ++k) {
          const float* xg = iq1m_levels(best_k, k);
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
      b.qs[2 * ib] = static_cast<uint8_t>(index[0] & 255);
      b.qs[2 * ib + 1] = static_cast<uint8_t>(index[1] & 255);
      b.qh[ib] = static_cast<uint8_t>((index[0] >> 8) | ((index[1] >> 8) << 4));
      scales[ib] = scale;
      shifts[ib] = best_k;
      max_scale = std::max(max_scale, scale);
    }
    if (!max_scale) continue;
    // 3-bit block scales, then the super-block scale refitted to them over the whole super-block
    // (blocks left at zero count with grid point 0, as in the reference).
    uint16_t sc[4] = {};
    const float d0 = max_scale / 15;
    const float id = 1 / d0;
    float sumqx = 0, sumq2 = 0;
    for (int ib = 0; ib < kQK_K / kB; ++ib) {
      const int l = std::clamp(nearest_int(0.5f * (id * scales[ib] - 1)), 0, 7);
      sc[ib / 4] = static_cast<uint16_t>(sc[ib / 4] | (l << (3 * (ib % 4))));
      b.qh[ib] = static_cast<uint8_t>(b.qh[ib] | masks[shifts[ib]]);
      const float* xb = xbl + kB * ib;
      float weight[kB];
      weights_of<kB>(xb, quant_weights + kQK_K * ibl + kB * ib, sigma2, weight);
      for (int k = 0; k < 2; ++k) {
        const float* xg = iq1m_levels(shifts[ib], k);
        const auto& pg = lat.grid[b.qs[2 * ib + k] | ((b.qh[ib] >> (4 * k)) & 7) << 8];
        for (int j = 0; j < 8; ++j) {
          const float w = weight[8 * k + j];
          const float q = xg[(pg[j] - 1) / 2] * static_cast<float>(2 * l + 1);
          sumqx += w * q * xb[8 * k + j];
          sumq2 += w * q * q;
        }
      }
    }
    const float d = sumq2 > 0 ? sumqx / sumq2 : d0;
    // The half scale is spread over the top nibbles of the four scale words, enlarged a little as
    // llama.cpp stores it.
    const uint16_t h = f2h(d * 1.1125f);
    sc[0] = static_cast<uint16_t>(sc[0] | ((h & 0x000f) << 12));
    sc[1] = static_cast<uint16_t>(sc[1] | ((h & 0x00f0) << 8));
    sc[2] = static_cast<uint16_t>(sc[2] | ((h & 0x0f00) << 4));
    sc[3] = static_cast<uint16_t>(sc[3] | (h & 0xf000));
    std::memcpy(b.scales, sc, sizeof sc);
  }
}

}  // namespace airlock::quant
