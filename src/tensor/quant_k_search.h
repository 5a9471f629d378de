// The scale searches of llama.cpp's K-quant reference quantizers. Each picks the scale (and min)
// for one sub-block and writes its quants to L. Float operations follow the reference's order so
// that the chosen quants, and therefore the blocks, come out identical.
#pragma once
#include <cstdint>

namespace airlock::quant {

// Values below this magnitude count as an all-zero group.
inline constexpr float kGroupMaxEps = 1e-15f;

// Asymmetric: x ~ scale * L - min with L in [0, nmax]; tries nstep+1 scales around nmax/(max-min)
// (rmin + rdelta*k) and refits scale and min by weighted least squares (absolute error if use_mad).
// Returns the scale; *neg_min receives -min (>= 0).
float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                       float* neg_min, uint8_t* Laux, float rmin, float rdelta, int nstep, bool use_mad);

// Symmetric: x ~ scale * (L - nmax) with L in [0, 2*nmax); rmse_type 1 weights by x^2 (or by qw
// when given: the importance-weighted quantizers) and tries 18 scales around -nmax/max. Returns
// the scale.
float make_qx_quants(int n, int nmax, const float* x, int8_t* L, int rmse_type, const float* qw = nullptr);

// Positive values (sub-block scales or mins) as x ~ scale * L with L in [0, nmax], weighted by qw:
// tries 9 scales around nmax/max, then moves single levels while the fit improves. Returns the
// scale. The importance-weighted K-quants store their sub-block scales this way.
float make_qp_quants(int n, int nmax, const float* x, uint8_t* L, const float* qw);

// Symmetric for Q3_K: like make_qx_quants with x^2 weights, refined by moving single quants while
// the weighted fit improves (up to 5 passes).
float make_q3_quants(int n, int nmax, const float* x, int8_t* L, bool do_rmse);

}  // namespace airlock::quant
