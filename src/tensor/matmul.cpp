#include "tensor/matmul.h"

#include <algorithm>
#include <string>
#include <vector>

#include "airlock/error.h"
#include "tensor/thread_pool.h"

namespace airlock {

namespace {

// Rows handed out per task, and the row tile whose weights stay in L1/L2 while every token's
// activations stream past them (prompt processing reuses each weight block n_tokens times).
constexpr int64_t kRowTile = 16;

void check(const WeightView& w, const TypeTraits& tr) {
  const std::string what = std::string("matmul: ") + tr.name + " weight " + std::to_string(w.rows) + "x" +
                           std::to_string(w.cols);
  if (w.rows < 0 || w.cols < 0) throw Error(what + ": negative shape");
  const auto bytes = row_bytes(w.type, w.cols);
  if (!bytes) throw Error(what + ": row length is not a whole number of " + std::to_string(tr.block_size) + "-element blocks");
  if (w.rows > 1 && w.row_stride < *bytes) throw Error(what + ": row stride smaller than a row");
  if (w.rows > 0 && w.cols > 0 && !w.data) throw Error(what + ": no data");
  if (!vec_dot_kernel(tr, CpuPath::Scalar)) throw Error(what + ": no dot-product kernel for this type");
}

}  // namespace

void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool* pool) {
  const TypeTraits& tr = type_traits(w.type);
  check(w, tr);
  if (w.rows == 0 || n_tokens <= 0) return;
  const CpuPath path = active_cpu_path();
  const kernels::VecDotFn dot = vec_dot_kernel(tr, path);
  const kernels::VecDotMultiFn multi = n_tokens > 1 ? vec_dot_multi_kernel(tr, path) : nullptr;

  // Convert the activations once per call to the type the kernel pairs with this weight type.
  const TypeTraits& at = type_traits(tr.vec_dot_type);
  const size_t act_row = *row_bytes(at.type, w.cols);
  std::vector<uint8_t> converted;
  const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
  if (at.type != TensorType::F32) {
    converted.resize(act_row * static_cast<size_t>(n_tokens));
    const FromFloatFn quantize = from_float_kernel(at, path);
    auto convert = [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) quantize(x + t * w.cols, converted.data() + t * act_row, w.cols);
    };
    if (pool && n_tokens > 1)
      pool->parallel_for(n_tokens, convert);
    else
      convert(0, n_tokens);
    act = converted.data();
  }

  const auto* base = static_cast<const uint8_t*>(w.data);
  auto tiles = [&](int64_t tile0, int64_t tile1) {
    for (int64_t tile = tile0; tile < tile1; ++tile) {
      const int64_t r0 = tile * kRowTile, r1 = std::min(w.rows, r0 + kRowTile);
      if (multi) {
        // Groups of tokens share each unpacked weight block inside the kernel.
        for (int64_t t0 = 0; t0 < n_tokens; t0 += kernels::kMaxMultiDot) {
          const int count = static_cast<int>(std::min<int64_t>(kernels::kMaxMultiDot, n_tokens - t0));
          const uint8_t* a = act + static_cast<size_t>(t0) * act_row;
          for (int64_t r = r0; r < r1; ++r) {
            float out[kernels::kMaxMultiDot];
            multi(w.cols, base + static_cast<size_t>(r) * w.row_stride, a, act_row, count, out);
            for (int k = 0; k < count; ++k) y[(t0 + k) * w.rows + r] = out[k];
          }
        }
        continue;
      }
      for (int64_t t = 0; t < n_tokens; ++t) {
        const uint8_t* a = act + static_cast<size_t>(t) * act_row;
        float* yt = y + t * w.rows;
        for (int64_t r = r0; r < r1; ++r) yt[r] = dot(w.cols, base + static_cast<size_t>(r) * w.row_stride, a);
      }
    }
  };
  const int64_t n_tiles = (w.rows + kRowTile - 1) / kRowTile;
  if (pool)
    pool->parallel_for(n_tiles, tiles);
  else
    tiles(0, n_tiles);
}

}  // namespace airlock
