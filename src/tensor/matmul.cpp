#include "tensor/matmul.h"

#include <algorithm>
#include <string>
#include <vector>

#include "airlock/error.h"
#include "tensor/repack.h"
#include "tensor/thread_pool.h"

namespace airlock {

namespace {

// Rows handed out per task, and the row tile whose weights stay in L1/L2 while every token's
// activations stream past them (prompt processing reuses each weight block n_tokens times).
// A row tile is one packed group when the weights have a packed copy.
constexpr int64_t kRowTile = 16;
static_assert(kRowTile == kRepackRows);

// The message is built only on failure: decode calls matmul over a hundred times per token.
void check(const WeightView& w, const TypeTraits& tr) {
  auto fail = [&](const std::string& why) {
    throw Error(std::string("matmul: ") + tr.name + " weight " + std::to_string(w.rows) + "x" + std::to_string(w.cols) +
                ": " + why);
  };
  if (w.rows < 0 || w.cols < 0) fail("negative shape");
  const auto bytes = row_bytes(w.type, w.cols);
  if (!bytes) fail("row length is not a whole number of " + std::to_string(tr.block_size) + "-element blocks");
  if (w.rows > 1 && w.row_stride < *bytes) fail("row stride smaller than a row");
  if (w.rows > 0 && w.cols > 0 && !w.data) fail("no data");
  if (!vec_dot_kernel(tr, CpuPath::Scalar)) fail("no dot-product kernel for this type");
}

// n_tokens rows of x (cols floats each) through `convert` into buf, `row` bytes per token; the
// result lives in buf. The workers write through the caller's buffer (buf is the calling thread's
// thread_local: naming it inside the lambda would give each worker its own).
const uint8_t* convert_activations(const float* x, int64_t cols, int64_t n_tokens, size_t row, FromFloatFn convert,
                                   std::vector<uint8_t>& buf, ThreadPool* pool) {
  if (buf.size() < row * static_cast<size_t>(n_tokens)) buf.resize(row * static_cast<size_t>(n_tokens));
  uint8_t* out = buf.data();
  auto run = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) convert(x + t * cols, out + static_cast<size_t>(t) * row, cols);
  };
  if (pool && n_tokens > 1)
    pool->parallel_for(n_tokens, run);
  else
    run(0, n_tokens);
  return out;
}

}  // namespace

void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool* pool) {
  const TypeTraits& tr = type_traits(w.type);
  check(w, tr);
  if (w.rows == 0 || n_tokens <= 0) return;
  const CpuPath path = active_cpu_path();
  const kernels::VecDotFn dot = vec_dot_kernel(tr, path);
  const kernels::VecDotMultiFn multi = n_tokens > 1 ? vec_dot_multi_kernel(tr, path) : nullptr;

  // The packed copy only if it was made for this path's layout (a test or AIRLOCK_CPU may have
  // lowered the path since); it covers the whole groups, the tail rows use the row kernels.
  const RepackKernels* packed = w.packed && w.packed_layout == repack_kernels(w.type, path) ? w.packed_layout : nullptr;
  const int64_t packed_tiles = packed ? w.rows / kRowTile : 0;
  const int64_t n_tiles = (w.rows + kRowTile - 1) / kRowTile;
  const size_t group_bytes = packed ? packed->group_bytes(w.cols) : 0;
  const bool own_act_format = packed && packed->act_from_float;

  // Convert the activations once per call: to the type the row kernels pair with this weight type
  // (where any row uses them), and to the packed layout's own format where it has one. Reused
  // between calls (decode runs hundreds of small products per token).
  const TypeTraits& at = type_traits(tr.vec_dot_type);
  const size_t act_row = *row_bytes(at.type, w.cols);
  const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
  if (at.type != TensorType::F32 && (!own_act_format || packed_tiles < n_tiles)) {
    thread_local std::vector<uint8_t> converted;
    act = convert_activations(x, w.cols, n_tokens, act_row, from_float_kernel(at, path), converted, pool);
  }
  const size_t tile_act_row = own_act_format ? packed->act_row_bytes(w.cols) : act_row;
  const uint8_t* tile_act = act;
  if (own_act_format) {
    thread_local std::vector<uint8_t> converted_for_tiles;
    tile_act = convert_activations(x, w.cols, n_tokens, tile_act_row, packed->act_from_float, converted_for_tiles, pool);
  }

  const auto* base = static_cast<const uint8_t*>(w.data);
  auto tiles = [&](int64_t tile0, int64_t tile1) {
    for (int64_t tile = tile0; tile < tile1; ++tile) {
      const int64_t r0 = tile * kRowTile, r1 = std::min(w.rows, r0 + kRowTile);
      if (tile < packed_tiles) {
        const void* group = static_cast<const uint8_t*>(w.packed) + static_cast<size_t>(tile) * group_bytes;
        for (int64_t t0 = 0; t0 < n_tokens; t0 += kMaxTileTokens) {
          const int count = static_cast<int>(std::min<int64_t>(kMaxTileTokens, n_tokens - t0));
          packed->tile(w.cols, group, tile_act + static_cast<size_t>(t0) * tile_act_row, tile_act_row, count,
                       y + t0 * w.rows + r0, static_cast<size_t>(w.rows));
        }
        continue;
      }
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
  if (pool)
    pool->parallel_for(n_tiles, tiles);
  else
    tiles(0, n_tiles);
}

}  // namespace airlock
