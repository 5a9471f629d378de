// Small float-vector operations of the forward pass, with an AVX-512 version chosen at run time
// (the model module itself is compiled for baseline x86-64): the softmax exponentials of
// attention and the gated feed-forward's SiLU.
#pragma once
#include <cstdint>

#include "tensor/cpu_path.h"

namespace airlock {

// x[i] = exp(x[i] - shift) for i < n; returns their sum. The AVX-512 kernel uses a polynomial exp
// (relative error below 2e-7 where the result is a normal float; results below ~1e-38 may be
// flushed or kept as a tiny value instead of a denormal).
using ExpShiftedSumFn = float (*)(int64_t n, float* x, float shift);
// y[i] *= silu(g[i]) = g[i] / (1 + exp(-g[i])) for i < n. The AVX-512 kernel uses the same
// polynomial exp (results within a few ulp of the scalar one's).
using SiluMulFn = void (*)(int64_t n, const float* g, float* y);

// The kernels for a CpuPath (the caller resolves them once, outside its loops).
ExpShiftedSumFn exp_shifted_sum_kernel(CpuPath path);
SiluMulFn silu_mul_kernel(CpuPath path);

namespace kernels {
float exp_shifted_sum_scalar(int64_t n, float* x, float shift);
float exp_shifted_sum_avx512(int64_t n, float* x, float shift);
void silu_mul_scalar(int64_t n, const float* g, float* y);
void silu_mul_avx512(int64_t n, const float* g, float* y);
}  // namespace kernels

}  // namespace airlock
