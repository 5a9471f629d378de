#include "tensor/vec_ops.h"

#include <cmath>

#include "tensor/cpu_path.h"

namespace airlock {

namespace kernels {

float exp_shifted_sum_scalar(int64_t n, float* x, float shift) {
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i] = std::exp(x[i] - shift);
  return sum;
}

void axpy_scalar(int64_t n, float a, const float* x, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

}  // namespace kernels

float exp_shifted_sum(int64_t n, float* x, float shift) {
  return active_cpu_path() == CpuPath::Avx512 ? kernels::exp_shifted_sum_avx512(n, x, shift)
                                              : kernels::exp_shifted_sum_scalar(n, x, shift);
}

void axpy(int64_t n, float a, const float* x, float* y) {
  if (active_cpu_path() == CpuPath::Avx512) kernels::axpy_avx512(n, a, x, y);
  else kernels::axpy_scalar(n, a, x, y);
}

}  // namespace airlock
