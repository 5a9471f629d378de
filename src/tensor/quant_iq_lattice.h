// What the IQ1, IQ2 and IQ3 quantizers share: the lattice of a grid format, the search for the grid
// point nearest to an off-grid group, and the weighted fit of a block. Coordinates are odd levels
// 2l + 1 (l in [0, 2^Bits)); a group of Dim levels packs into a code of Dim * Bits bits, element 0
// in the lowest bits, as llama.cpp's quantizer packs them (its kgrid tables are these codes).
#pragma once
#include <algorithm>
#include <array>
#include <cfloat>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "tensor/quant_math.h"

namespace airlock::quant {

template <int Dim, int Bits>
struct IqLattice {
  // The grid as signed bytes, the map from every code below map_size to its grid index (>= 0) or
  // to -(1 + offset) of its neighbour list, and the lists: a count, then the grid indices of the
  // points at the `nwant` smallest distinct squared distances, nearest first (ties by index).
  std::vector<std::array<int8_t, Dim>> grid;
  std::vector<int> map;
  std::vector<uint16_t> neighbours;

  IqLattice(const std::vector<uint32_t>& codes, int map_size, int nwant) : grid(codes.size()), map(map_size, -1) {
    const size_t n = codes.size();
    for (size_t k = 0; k < n; ++k) {
      grid[k] = point(codes[k]);
      map[codes[k]] = static_cast<int>(k);
    }
    std::vector<int> dist(n);
    std::vector<std::pair<int, int>> near;
    // Raw pointers in the distance loop: it runs map_size x grid size times, and unoptimised
    // (sanitizer) builds would otherwise call an accessor per coordinate.
    const int8_t* points = grid.empty() ? nullptr : grid.front().data();
    int* dists = dist.data();
    for (int u = 0; u < map_size; ++u) {
      if (map[u] >= 0) continue;
      const auto pos = point(static_cast<uint32_t>(u));
      const int8_t* p = pos.data();
      // The nwant smallest distinct distances, then the points at those, sorted as the reference
      // sorts all of them (by distance, then index): the same list without sorting the whole grid.
      std::vector<int> smallest;
      int largest_kept = INT_MAX;  // smallest.back() once it holds nwant distances
      for (size_t j = 0; j < n; ++j) {
        const int8_t* g = points + j * Dim;
        int d2 = 0;
        for (int k = 0; k < Dim; ++k) d2 += (g[k] - p[k]) * (g[k] - p[k]);
        dists[j] = d2;
        if (d2 >= largest_kept) continue;  // neither new nor among the nwant smallest
        const auto at = std::lower_bound(smallest.begin(), smallest.end(), d2);
        if (at != smallest.end() && *at == d2) continue;
        if (static_cast<int>(smallest.size()) < nwant) {
          smallest.insert(at, d2);
        } else if (at != smallest.end()) {
          smallest.insert(at, d2);
          smallest.pop_back();
        }
        if (static_cast<int>(smallest.size()) == nwant) largest_kept = smallest.back();
      }
      near.clear();
      const int cutoff = smallest.back();
      for (size_t j = 0; j < n; ++j)
        if (dists[j] <= cutoff) near.push_back({dists[j], static_cast<int>(j)});
      std::sort(near.begin(), near.end());
      map[u] = -static_cast<int>(neighbours.size() + 1);
      neighbours.push_back(static_cast<uint16_t>(near.size()));
      for (const auto& [d, j] : near) neighbours.push_back(static_cast<uint16_t>(j));
    }
  }

  // The levels nearest to id * xval (level l stands for 2l + 1), each clamped to [0, nlevels), and
  // their code; the code may lie off the grid.
  static int nearest_code(float id, const float* xval, int nlevels, int8_t* L) {
    int u = 0;
    for (int i = 0; i < Dim; ++i) {
      L[i] = static_cast<int8_t>(std::clamp(nearest_int(0.5f * (id * xval[i] - 1)), 0, nlevels - 1));
      u |= L[i] << (Bits * i);
    }
    return u;
  }

  static std::array<int8_t, Dim> point(uint32_t code) {
    std::array<int8_t, Dim> p{};
    for (int i = 0; i < Dim; ++i) p[i] = static_cast<int8_t>(2 * ((code >> (Bits * i)) & ((1u << Bits) - 1)) + 1);
    return p;
  }

  // The code of Dim levels, or -1 when it lies outside the map (levels out of range).
  int code_of(const int8_t* L) const {
    int u = 0;
    for (int i = 0; i < Dim; ++i) {
      if (L[i] < 0 || L[i] >= (1 << Bits)) return -1;
      u |= L[i] << (Bits * i);
    }
    return u < static_cast<int>(map.size()) ? u : -1;
  }

  // The grid point of an off-grid code nearest to xval / scale under the weights; its levels go to
  // L (weight and the grid differences multiply in the reference's order).
  int best_neighbour(int code, const float* xval, const float* weight, float scale, int8_t* L) const {
    const uint16_t* list = neighbours.data() + (-map[code] - 1);
    float best_d2 = FLT_MAX;
    int best = list[1];
    for (int j = 1; j <= list[0]; ++j) {
      const auto& pg = grid[list[j]];
      float d2 = 0;
      for (int i = 0; i < Dim; ++i) {
        const float diff = scale * static_cast<float>(pg[i]) - xval[i];
        d2 += weight[i] * diff * diff;
      }
      if (d2 < best_d2) {
        best_d2 = d2;
        best = list[j];
      }
    }
    set_levels(best, L);
    return best;
  }

  void set_levels(int g, int8_t* L) const {
    for (int i = 0; i < Dim; ++i) L[i] = static_cast<int8_t>((grid[g][i] - 1) / 2);
  }

  // The grid index for levels that should lie on the grid; anything else (a degenerate block the
  // search could not fit, where the reference aborts) goes to the nearest grid point.
  int index_of(const int8_t* L, const float* xval, const float* weight) const {
    int8_t clamped[Dim];
    for (int i = 0; i < Dim; ++i) clamped[i] = std::clamp<int8_t>(L[i], 0, (1 << Bits) - 1);
    const int u = code_of(clamped);
    if (u >= 0 && map[u] >= 0) return map[u];
    if (u >= 0) return best_neighbour(u, xval, weight, 1.f, clamped);
    return 0;
  }
};

// The IQ1/IQ2 tables hold base-3 codes of 8 levels; their lattice wants 2 bits per coordinate.
template <size_t N>
std::vector<uint32_t> two_bit_codes(const uint16_t (&codes)[N]) {
  std::vector<uint32_t> out(N);
  for (size_t k = 0; k < N; ++k) {
    unsigned c = codes[k];
    for (int i = 0; i < 8; ++i, c /= 3) out[k] |= (c % 3) << (2 * i);
  }
  return out;
}

// Sign bits of 8 values whose magnitudes go to xval; with `even_parity` (formats that store 7 sign
// bits per 8 and imply the eighth) an odd count of negatives flips the value whose weighted square
// is smallest, which then enters xval negated. Returns the sign bits.
inline uint8_t group_signs(const float* xb, const float* weight, bool even_parity, float* xval) {
  int nflip = 0;
  uint8_t s = 0;
  for (int i = 0; i < 8; ++i) {
    xval[i] = xb[i] >= 0 ? xb[i] : -xb[i];
    if (!(xb[i] >= 0)) {
      ++nflip;
      s = static_cast<uint8_t>(s | (1 << i));
    }
  }
  if (even_parity && nflip % 2) {
    int imin = 0;
    float min = weight[0] * xb[0] * xb[0];
    for (int i = 1; i < 8; ++i) {
      const float ax = weight[i] * xb[i] * xb[i];
      if (ax < min) {
        min = ax;
        imin = i;
      }
    }
    xval[imin] = -xval[imin];
    s = static_cast<uint8_t>(s ^ (1 << imin));
  }
  return s;
}

// The weighted least-squares terms of n levels L (as odd values 2L + 1) against xval: returns
// sum w x q and puts sum w q^2 in sumq2, in the reference's order of float operations.
inline float odd_level_fit(const float* weight, const float* xval, const int8_t* L, int n, float& sumq2) {
  float sumqx = 0;
  sumq2 = 0;
  for (int i = 0; i < n; ++i) {
    const float q = static_cast<float>(2 * L[i] + 1);
    sumqx += weight[i] * xval[i] * q;
    sumq2 += weight[i] * q * q;
  }
  return sumqx;
}

inline float max_of(const float* v, int n) {
  float m = v[0];
  for (int i = 1; i < n; ++i) m = m > v[i] ? m : v[i];
  return m;
}

// The 4-bit block scale code of the reference: nearest to (scale / d - 1) / 2, with id = 1 / d.
inline int scale_code(float id, float scale) { return std::clamp(nearest_int(0.5f * (id * scale - 1)), 0, 15); }

}  // namespace airlock::quant
