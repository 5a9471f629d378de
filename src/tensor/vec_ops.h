// The softmax exponentials of the attention inner loop, with an AVX-512 version chosen at run
// time (the model module itself is compiled for baseline x86-64).
#pragma once
#include <cstdint>

#include "tensor/cpu_path.h"

namespace airlock {

// x[i] = exp(x[i] - shift) for i < n; returns their sum. The AVX-512 kernel uses a polynomial exp
// (relative error below 2e-7 where the result is a normal float; results below ~1e-38 may be
// flushed or kept as a tiny value instead of a denormal).
using ExpShiftedSumFn = float (*)(int64_t n, float* x, float shift);

// The kernel for a CpuPath (the caller resolves it once, outside its loops).
ExpShiftedSumFn exp_shifted_sum_kernel(CpuPath path);

namespace kernels {
float exp_shifted_sum_scalar(int64_t n, float* x, float shift);
float exp_shifted_sum_avx512(int64_t n, float* x, float shift);
}  // namespace kernels

}  // namespace airlock
