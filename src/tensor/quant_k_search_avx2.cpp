// AVX2 K-quant quantizers (Q2_K ... Q6_K) whose blocks equal the scalar ones bit for bit. The
// scale searches (make_qkx2_quants, make_qx_quants, make_q3_quants in quant_k_search.cpp) are
// sequential sums over a sub-block, so summing a sub-block across lanes would change the rounding.
// Instead each of the eight lanes runs the scalar search of one sub-block: the same operations in
// the same order, with branches turned into per-lane selects. The sub-blocks are transposed first
// so that step i loads element i of eight sub-blocks at once. This file is built without -mfma
// (see src/tensor/CMakeLists.txt): a contracted multiply-add would round once where the reference
// rounds twice.
#include <immintrin.h>

#include <cmath>

#include "tensor/quant_blocks.h"
#include "tensor/quant_formats.h"
#include "tensor/quant_k_pack.h"
#include "tensor/quant_k_search.h"
#include "tensor/quant_search_lanes_avx2.h"

namespace airlock::quant {

namespace {

using namespace lanes;

// nearest_int() then clamped to [lo, hi], in float. nearest_int's own steps (add 1.5 * 2^23, keep
// the low mantissa bits), so that even out-of-range values (a ratio with a tiny divisor) give the
// scalar code's result.
__m256 round_clamp(__m256 v, __m256 lo, __m256 hi) {
  const __m256i bits = _mm256_castps_si256(_mm256_add_ps(v, _mm256_set1_ps(12582912.f)));
  const __m256i r = _mm256_sub_epi32(_mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x00400000));
  return _mm256_min_ps(_mm256_max_ps(_mm256_cvtepi32_ps(r), lo), hi);
}

// make_qkx2_quants for eight sub-blocks at once; x and w are element-major (x[i * 8 + lane]).
// Writes scales[lane], neg_mins[lane] and the quants of lane j to L[j * n ...].
void make_qkx2_quants_x8(int n, int nmax, const float* x, const float* w, float* scales, float* neg_mins, uint8_t* L,
                         float rmin, float rdelta, int nstep, bool use_mad) {
  const __m256 zero = _mm256_setzero_ps(), vnmax = _mm256_set1_ps(static_cast<float>(nmax));
  auto error_term = [use_mad](__m256 diff) { return use_mad ? abs_ps(diff) : _mm256_mul_ps(diff, diff); };

  __m256 min = _mm256_loadu_ps(x), max = min;
  __m256 sum_w = _mm256_loadu_ps(w);
  __m256 sum_x = _mm256_mul_ps(sum_w, min);
  for (int i = 1; i < n; ++i) {
    const __m256 xi = _mm256_loadu_ps(x + i * kLanes), wi = _mm256_loadu_ps(w + i * kLanes);
    min = select(min, xi, _mm256_cmp_ps(xi, min, _CMP_LT_OQ));
    max = select(max, xi, _mm256_cmp_ps(xi, max, _CMP_GT_OQ));
    sum_w = _mm256_add_ps(sum_w, wi);
    sum_x = _mm256_add_ps(sum_x, _mm256_mul_ps(wi, xi));
  }
  min = select(min, zero, _mm256_cmp_ps(min, zero, _CMP_GT_OQ));
  const __m256 flat = _mm256_cmp_ps(max, min, _CMP_EQ_OQ);  // these lanes return scale 0, L 0
  const __m256 flat_min = min;
  __m256 iscale = _mm256_div_ps(vnmax, _mm256_sub_ps(max, min));
  __m256 scale = _mm256_div_ps(_mm256_set1_ps(1.0f), iscale);
  float best_l[32 * kLanes], aux_l[32 * kLanes];
  __m256 best_error = zero;
  for (int i = 0; i < n; ++i) {
    const __m256 xi = _mm256_loadu_ps(x + i * kLanes);
    const __m256 l = round_clamp(_mm256_mul_ps(iscale, _mm256_sub_ps(xi, min)), zero, vnmax);
    _mm256_storeu_ps(best_l + i * kLanes, l);
    const __m256 diff = _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(scale, l), min), xi);
    best_error = _mm256_add_ps(best_error, _mm256_mul_ps(_mm256_loadu_ps(w + i * kLanes), error_term(diff)));
  }
  for (int is = 0; is <= nstep; ++is) {
    const float numerator = rmin + rdelta * static_cast<float>(is) + static_cast<float>(nmax);
    // max - min with the min of the best fit so far, as the reference computes it.
    iscale = _mm256_div_ps(_mm256_set1_ps(numerator), _mm256_sub_ps(max, min));
    __m256 sum_l = zero, sum_l2 = zero, sum_xl = zero;
    for (int i = 0; i < n; ++i) {
      const __m256 xi = _mm256_loadu_ps(x + i * kLanes), wi = _mm256_loadu_ps(w + i * kLanes);
      const __m256 l = round_clamp(_mm256_mul_ps(iscale, _mm256_sub_ps(xi, min)), zero, vnmax);
      _mm256_storeu_ps(aux_l + i * kLanes, l);
      const __m256 wl = _mm256_mul_ps(wi, l);
      sum_l = _mm256_add_ps(sum_l, wl);
      sum_l2 = _mm256_add_ps(sum_l2, _mm256_mul_ps(wl, l));
      sum_xl = _mm256_add_ps(sum_xl, _mm256_mul_ps(wl, xi));
    }
    const __m256 D = _mm256_sub_ps(_mm256_mul_ps(sum_w, sum_l2), _mm256_mul_ps(sum_l, sum_l));
    const __m256 solvable = _mm256_cmp_ps(D, zero, _CMP_GT_OQ);
    __m256 this_scale = _mm256_div_ps(_mm256_sub_ps(_mm256_mul_ps(sum_w, sum_xl), _mm256_mul_ps(sum_x, sum_l)), D);
    __m256 this_min = _mm256_div_ps(_mm256_sub_ps(_mm256_mul_ps(sum_l2, sum_x), _mm256_mul_ps(sum_l, sum_xl)), D);
    const __m256 positive_min = _mm256_cmp_ps(this_min, zero, _CMP_GT_OQ);
    this_min = select(this_min, zero, positive_min);
    this_scale = select(this_scale, _mm256_div_ps(sum_xl, sum_l2), positive_min);
    __m256 cur_error = zero;
    for (int i = 0; i < n; ++i) {
      const __m256 xi = _mm256_loadu_ps(x + i * kLanes);
      const __m256 l = _mm256_loadu_ps(aux_l + i * kLanes);
      const __m256 diff = _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(this_scale, l), this_min), xi);
      cur_error = _mm256_add_ps(cur_error, _mm256_mul_ps(_mm256_loadu_ps(w + i * kLanes), error_term(diff)));
    }
    const __m256 better = _mm256_and_ps(solvable, _mm256_cmp_ps(cur_error, best_error, _CMP_LT_OQ));
    if (_mm256_movemask_ps(better) == 0) continue;
    for (int i = 0; i < n; ++i)
      _mm256_storeu_ps(best_l + i * kLanes,
                       select(_mm256_loadu_ps(best_l + i * kLanes), _mm256_loadu_ps(aux_l + i * kLanes), better));
    best_error = select(best_error, cur_error, better);
    scale = select(scale, this_scale, better);
    min = select(min, this_min, better);
  }
  scale = select(scale, zero, flat);
  min = select(min, flat_min, flat);
  _mm256_storeu_ps(scales, scale);
  _mm256_storeu_ps(neg_mins, _mm256_xor_ps(min, _mm256_set1_ps(-0.0f)));
  alignas(32) float lanes_flat[kLanes];
  _mm256_store_ps(lanes_flat, flat);
  for (int j = 0; j < kLanes; ++j)
    for (int i = 0; i < n; ++i)
      L[j * n + i] = lanes_flat[j] != 0 ? uint8_t{0} : static_cast<uint8_t>(best_l[i * kLanes + j]);
}

// make_qx_quants with rmse_type 1 (weights x^2) for eight sub-blocks; L gets quant + nmax.
void make_qx_quants_x8(int n, int nmax, const float* x, float* scales, int8_t* L) {
  const __m256 zero = _mm256_setzero_ps();
  const __m256 lo = _mm256_set1_ps(static_cast<float>(-nmax)), hi = _mm256_set1_ps(static_cast<float>(nmax - 1));
  __m256 max;
  const __m256 empty = signed_max(n, x, max);

  // The levels round(iscale * x) into `l`, and the weighted fit's sums of w*x*l and w*l*l with w = x^2.
  auto fit = [n, x, lo, hi, zero](__m256 iscale, float* l_out, __m256& sumlx, __m256& suml2) {
    sumlx = suml2 = zero;
    for (int i = 0; i < n; ++i) {
      const __m256 xi = _mm256_loadu_ps(x + i * kLanes);
      const __m256 l = round_clamp(_mm256_mul_ps(iscale, xi), lo, hi);
      _mm256_storeu_ps(l_out + i * kLanes, l);
      const __m256 w = _mm256_mul_ps(xi, xi);
      sumlx = _mm256_add_ps(sumlx, _mm256_mul_ps(_mm256_mul_ps(w, xi), l));
      suml2 = _mm256_add_ps(suml2, _mm256_mul_ps(_mm256_mul_ps(w, l), l));
    }
  };
  float best_l[16 * kLanes], aux_l[16 * kLanes];
  __m256 sumlx, suml2;
  fit(_mm256_div_ps(_mm256_set1_ps(static_cast<float>(-nmax)), max), best_l, sumlx, suml2);
  // `suml2 ? sumlx / suml2 : 0`: NaN counts as true there, as the unordered compare does here.
  __m256 scale = select(_mm256_div_ps(sumlx, suml2), zero, _mm256_cmp_ps(suml2, zero, _CMP_EQ_OQ));
  __m256 best = _mm256_mul_ps(scale, sumlx);
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    const float numerator = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(is));
    fit(_mm256_div_ps(_mm256_set1_ps(numerator), max), aux_l, sumlx, suml2);
    const __m256 better = _mm256_and_ps(_mm256_cmp_ps(suml2, zero, _CMP_GT_OQ),
                                        _mm256_cmp_ps(_mm256_mul_ps(sumlx, sumlx), _mm256_mul_ps(best, suml2), _CMP_GT_OQ));
    if (_mm256_movemask_ps(better) == 0) continue;
    for (int i = 0; i < n; ++i)
      _mm256_storeu_ps(best_l + i * kLanes,
                       select(_mm256_loadu_ps(best_l + i * kLanes), _mm256_loadu_ps(aux_l + i * kLanes), better));
    const __m256 new_scale = _mm256_div_ps(sumlx, suml2);
    scale = select(scale, new_scale, better);
    best = select(best, _mm256_mul_ps(new_scale, sumlx), better);
  }
  _mm256_storeu_ps(scales, select(scale, zero, empty));
  alignas(32) float lanes_empty[kLanes];
  _mm256_store_ps(lanes_empty, empty);
  for (int j = 0; j < kLanes; ++j)
    for (int i = 0; i < n; ++i)
      L[j * n + i] = lanes_empty[j] != 0 ? int8_t{0} : static_cast<int8_t>(best_l[i * kLanes + j] + static_cast<float>(nmax));
}

// make_q3_quants (with do_rmse) for eight sub-blocks; L gets quant + nmax. A lane whose pass
// changed nothing would change nothing in the next pass either (same state, same decisions), so
// running the passes until every lane has settled gives each lane the scalar result.
void make_q3_quants_x8(int n, int nmax, const float* x, float* scales, int8_t* L) {
  const __m256 zero = _mm256_setzero_ps();
  const __m256 lo = _mm256_set1_ps(static_cast<float>(-nmax)), hi = _mm256_set1_ps(static_cast<float>(nmax - 1));
  __m256 max;
  const __m256 empty = signed_max(n, x, max);

  const __m256 iscale = _mm256_div_ps(_mm256_set1_ps(static_cast<float>(-nmax)), max);
  __m256 l[16];
  __m256 sumlx = zero, suml2 = zero;
  for (int i = 0; i < n; ++i) {
    const __m256 xi = _mm256_loadu_ps(x + i * kLanes);
    l[i] = round_clamp(_mm256_mul_ps(iscale, xi), lo, hi);
    const __m256 w = _mm256_mul_ps(xi, xi);
    sumlx = _mm256_add_ps(sumlx, _mm256_mul_ps(_mm256_mul_ps(w, xi), l[i]));
    suml2 = _mm256_add_ps(suml2, _mm256_mul_ps(_mm256_mul_ps(w, l[i]), l[i]));
  }
  for (int itry = 0; itry < 5; ++itry) {
    __m256 changed = zero;
    for (int i = 0; i < n; ++i) {
      const __m256 xi = _mm256_loadu_ps(x + i * kLanes);
      const __m256 w = _mm256_mul_ps(xi, xi);
      const __m256 wx = _mm256_mul_ps(w, xi);
      __m256 slx = _mm256_sub_ps(sumlx, _mm256_mul_ps(wx, l[i]));
      const __m256 positive = _mm256_cmp_ps(slx, zero, _CMP_GT_OQ);
      __m256 sl2 = _mm256_sub_ps(suml2, _mm256_mul_ps(_mm256_mul_ps(w, l[i]), l[i]));
      const __m256 new_l = round_clamp(_mm256_div_ps(_mm256_mul_ps(xi, sl2), slx), lo, hi);
      const __m256 differs = _mm256_cmp_ps(new_l, l[i], _CMP_NEQ_UQ);
      slx = _mm256_add_ps(slx, _mm256_mul_ps(wx, new_l));
      sl2 = _mm256_add_ps(sl2, _mm256_mul_ps(_mm256_mul_ps(w, new_l), new_l));
      const __m256 improves =
          _mm256_and_ps(_mm256_cmp_ps(sl2, zero, _CMP_GT_OQ),
                        _mm256_cmp_ps(_mm256_mul_ps(_mm256_mul_ps(slx, slx), suml2),
                                      _mm256_mul_ps(_mm256_mul_ps(sumlx, sumlx), sl2), _CMP_GT_OQ));
      const __m256 take = _mm256_and_ps(_mm256_and_ps(positive, differs), improves);
      l[i] = select(l[i], new_l, take);
      sumlx = select(sumlx, slx, take);
      suml2 = select(suml2, sl2, take);
      changed = _mm256_or_ps(changed, take);
    }
    if (_mm256_movemask_ps(changed) == 0) break;
  }
  _mm256_storeu_ps(scales, select(_mm256_div_ps(sumlx, suml2), zero, empty));
  alignas(32) float lanes_empty[kLanes];
  _mm256_store_ps(lanes_empty, empty);
  alignas(32) float li[kLanes];
  for (int i = 0; i < n; ++i) {
    _mm256_store_ps(li, l[i]);
    for (int j = 0; j < kLanes; ++j)
      L[j * n + i] = lanes_empty[j] != 0 ? int8_t{0} : static_cast<int8_t>(li[j] + static_cast<float>(nmax));
  }
}

}  // namespace

void quantize_q3_K_avx2(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ3_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    int8_t L[kQK_K];
    float scales[kQK_K / 16];
    for (int half = 0; half < 2; ++half) {
      float xt[16 * kLanes];
      transpose_in(x + half * 8 * 16, 16, xt);
      make_q3_quants_x8(16, 4, xt, scales + 8 * half, L + half * 8 * 16);
    }
    pack_q3_K(x, scales, L, b[i]);
  }
}

void quantize_q2_K_avx2(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ2_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    uint8_t L[kQK_K];
    float scales[kQK_K / 16], mins[kQK_K / 16];
    for (int half = 0; half < 2; ++half) {
      const float* xh = x + half * 8 * 16;
      float xt[16 * kLanes], wt[16 * kLanes];
      transpose_in(xh, 16, xt);
      for (int k = 0; k < 16 * kLanes; ++k) wt[k] = std::fabs(xt[k]);
      make_qkx2_quants_x8(16, 3, xt, wt, scales + 8 * half, mins + 8 * half, L + half * 8 * 16, -0.5f, 0.1f, 15,
                          true);
    }
    pack_q2_K(x, scales, mins, L, b[i]);
  }
}

namespace {

// Q4_K and Q5_K share the search but for its constants.
template <class Block, void (*pack)(const float*, const float*, const float*, uint8_t*, Block&)>
void quantize_q45_K_avx2(const float* x, void* dst, int64_t n, int nmax, float rmin, int nstep) {
  auto* b = static_cast<Block*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    uint8_t L[kQK_K];
    float scales[kQK_K / 32], mins[kQK_K / 32], weights[kQK_K];
    for (int j = 0; j < kQK_K / 32; ++j) rms_weights(x + 32 * j, weights + 32 * j);
    float xt[kQK_K], wt[kQK_K];
    transpose_in(x, 32, xt);
    transpose_in(weights, 32, wt);
    make_qkx2_quants_x8(32, nmax, xt, wt, scales, mins, L, rmin, 0.1f, nstep, false);
    pack(x, scales, mins, L, b[i]);
  }
}

}  // namespace

void quantize_q4_K_avx2(const float* x, void* dst, int64_t n) {
  quantize_q45_K_avx2<BlockQ4_K, pack_q4_K>(x, dst, n, 15, -1.f, 20);
}

void quantize_q5_K_avx2(const float* x, void* dst, int64_t n) {
  quantize_q45_K_avx2<BlockQ5_K, pack_q5_K>(x, dst, n, 31, -0.5f, 15);
}

void quantize_q6_K_avx2(const float* x, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ6_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    int8_t L[kQK_K];
    float scales[kQK_K / 16];
    for (int half = 0; half < 2; ++half) {
      float xt[16 * kLanes];
      transpose_in(x + half * 8 * 16, 16, xt);
      make_qx_quants_x8(16, 32, xt, scales + 8 * half, L + half * 8 * 16);
    }
    pack_q6_K(x, scales, L, b[i]);
  }
}

}  // namespace airlock::quant
