#include "tensor/attention_tile.h"

#include <algorithm>

#include "tensor/fp16.h"

namespace airlock {

namespace kernels {

namespace {

template <typename Load>
void transpose_rows(int64_t rows, int64_t width, Load load, float* kt) {
  for (int64_t d = 0; d < width; ++d) {
    float* col = kt + d * kAttnBlock;
    for (int64_t j = 0; j < rows; ++j) col[j] = load(j, d);
    std::fill(col + rows, col + kAttnBlock, 0.0f);
  }
}

}  // namespace

void transpose_keys_scalar(int64_t rows, int64_t width, const float* x, int64_t stride, float* kt) {
  transpose_rows(rows, width, [&](int64_t j, int64_t d) { return x[j * stride + d]; }, kt);
}

void transpose_keys_f16_scalar(int64_t rows, int64_t width, const uint16_t* x, int64_t stride, float* kt) {
  transpose_rows(rows, width, [&](int64_t j, int64_t d) { return fp16::half_to_float(x[j * stride + d]); }, kt);
}

void score_tile_scalar(int64_t nq, int64_t width, const float* const* q, const float* kt, float scale, float* s) {
  for (int64_t i = 0; i < nq; ++i) {
    float* row = s + i * kAttnBlock;
    std::fill(row, row + kAttnBlock, 0.0f);
    for (int64_t d = 0; d < width; ++d) {
      const float qd = q[i][d];
      const float* col = kt + d * kAttnBlock;
      for (int64_t j = 0; j < kAttnBlock; ++j) row[j] += qd * col[j];
    }
    for (int64_t j = 0; j < kAttnBlock; ++j) row[j] *= scale;
  }
}

void accumulate_tile_scalar(int64_t nq, int64_t width, int64_t rows, const float* p, const float* v, int64_t stride,
                            float* const* out) {
  for (int64_t i = 0; i < nq; ++i)
    for (int64_t j = 0; j < rows; ++j)
      for (int64_t c = 0; c < width; ++c) out[i][c] += p[i * kAttnBlock + j] * v[j * stride + c];
}

void accumulate_tile_f16_scalar(int64_t nq, int64_t width, int64_t rows, const float* p, const uint16_t* v,
                                int64_t stride, float* const* out) {
  for (int64_t i = 0; i < nq; ++i)
    for (int64_t j = 0; j < rows; ++j)
      for (int64_t c = 0; c < width; ++c) out[i][c] += p[i * kAttnBlock + j] * fp16::half_to_float(v[j * stride + c]);
}

}  // namespace kernels

TransposeKeysFn transpose_keys_kernel(CpuPath path) {
  return path == CpuPath::Avx512 ? kernels::transpose_keys_avx512 : kernels::transpose_keys_scalar;
}

TransposeKeysF16Fn transpose_keys_f16_kernel(CpuPath path) {
  return path == CpuPath::Avx512 ? kernels::transpose_keys_f16_avx512 : kernels::transpose_keys_f16_scalar;
}

ScoreTileFn score_tile_kernel(CpuPath path) {
  return path == CpuPath::Avx512 ? kernels::score_tile_avx512 : kernels::score_tile_scalar;
}

AccumulateTileFn accumulate_tile_kernel(CpuPath path) {
  return path == CpuPath::Avx512 ? kernels::accumulate_tile_avx512 : kernels::accumulate_tile_scalar;
}

AccumulateTileF16Fn accumulate_tile_f16_kernel(CpuPath path) {
  return path == CpuPath::Avx512 ? kernels::accumulate_tile_f16_avx512 : kernels::accumulate_tile_f16_scalar;
}

}  // namespace airlock
