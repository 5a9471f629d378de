// Matrix products of a weight matrix (any type in the type table) with F32 activations.
#pragma once
#include <cstddef>
#include <cstdint>

#include "tensor/type_traits.h"

namespace airlock {

class ThreadPool;
struct RepackKernels;

// `rows` rows of `cols` elements of `type`; row r starts at data + r * row_stride bytes.
struct WeightView {
  TensorType type = TensorType::F32;
  const void* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  size_t row_stride = 0;
  // Optional copy of the whole kRepackRows-row groups (rows - rows % kRepackRows of them) in the
  // packed layout `packed_layout` (repack.h), owned elsewhere. matmul uses it while that layout is
  // the active CPU path's; row lookups (row_to_float) always read `data`.
  const void* packed = nullptr;
  const RepackKernels* packed_layout = nullptr;
};

// y[t * w.rows + r] = dot(row r of w, x + t * w.cols) for every token t < n_tokens.
// Uses the packed copy's tile kernels for whole row groups when it can, the per-row kernels else.
// pool may be null (runs on the calling thread).
void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool* pool);

}  // namespace airlock
