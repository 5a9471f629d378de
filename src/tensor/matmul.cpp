#include "tensor/matmul.h"

#include <string>
#include <vector>

#include "airlock/error.h"
#include "tensor/thread_pool.h"

namespace airlock {

// Reference path: dequantize each weight row once and take plain float dot products.
void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool* pool) {
  const TypeTraits& tr = type_traits(w.type);
  if (w.type != TensorType::F32 && !tr.to_float)
    throw Error(std::string("matmul: no kernel for weight type ") + tr.name);
  auto rows = [&](int64_t r0, int64_t r1) {
    std::vector<float> row(static_cast<size_t>(w.cols));
    for (int64_t r = r0; r < r1; ++r) {
      const auto* src = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r) * w.row_stride;
      const float* wr = reinterpret_cast<const float*>(src);
      if (w.type != TensorType::F32) {
        tr.to_float(src, row.data(), w.cols);
        wr = row.data();
      }
      for (int64_t t = 0; t < n_tokens; ++t) {
        const float* xt = x + t * w.cols;
        float acc = 0;
        for (int64_t k = 0; k < w.cols; ++k) acc += wr[k] * xt[k];
        y[t * w.rows + r] = acc;
      }
    }
  };
  if (pool)
    pool->parallel_for(w.rows, rows);
  else
    rows(0, w.rows);
}

}  // namespace airlock
