#include "tensor/vec_ops.h"

#include <cmath>

namespace airlock {

namespace kernels {

float exp_shifted_sum_scalar(int64_t n, float* x, float shift) {
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i] = std::exp(x[i] - shift);
  return sum;
}

void silu_mul_scalar(int64_t n, const float* g, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] *= g[i] / (1.0f + std::exp(-g[i]));
}

}  // namespace kernels

ExpShiftedSumFn exp_shifted_sum_kernel(CpuPath path) {
  return path == CpuPath::Avx512 ? kernels::exp_shifted_sum_avx512 : kernels::exp_shifted_sum_scalar;
}

SiluMulFn silu_mul_kernel(CpuPath path) {
  return path == CpuPath::Avx512 ? kernels::silu_mul_avx512 : kernels::silu_mul_scalar;
}

}  // namespace airlock
