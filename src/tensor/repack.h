// Repacked ("rows in lanes") weight layouts: kRepackRows rows are interleaved so that one 64-byte
// load holds four consecutive quant bytes of each of the rows, one row per 32-bit lane. A tile
// kernel broadcasts four activation bytes and accumulates every row's dot product in its own lane
// with VNNI dpbusd, with no horizontal reductions; scales are unpacked at repack time.
// One row per (type, CPU path) that has such a layout; matmul uses them when a WeightView carries
// a packed copy made for the active path.
#pragma once
#include <cstddef>
#include <cstdint>

#include "tensor/cpu_path.h"
#include "tensor/type_traits.h"

namespace airlock {

// Rows are packed in groups of kRepackRows; one row per type that has a packed layout.
inline constexpr int kRepackRows = 16;
// The most activation rows one tile call takes.
inline constexpr int kMaxTileTokens = 8;

struct RepackKernels {
  size_t (*group_bytes)(int64_t cols);                                        // bytes of one packed group
  void (*pack)(const void* rows, size_t row_stride, int64_t cols, void* dst); // 16 rows -> one group
  // out[t * out_stride + r] = dot(row r, activation t) for r < 16, t < n_tokens (1..kMaxTileTokens);
  // activations already converted (by act_from_float, else to the type's vec_dot_type), a_stride
  // bytes apart.
  void (*tile)(int64_t cols, const void* group, const void* act, size_t a_stride, int n_tokens, float* out, size_t out_stride);
  // The tile's own activation format, for a layout that reads activations unlike the type's row
  // kernels (nullptr: the vec_dot_type rows): bytes of one token's row, and its conversion, done
  // once per matmul rather than inside every tile call.
  size_t (*act_row_bytes)(int64_t cols) = nullptr;
  FromFloatFn act_from_float = nullptr;
};

const RepackKernels* repack_kernels(TensorType type, CpuPath path);  // nullptr: no packed layout

// False when the environment sets AIRLOCK_REPACK=0 (A/B benchmarks, debugging): models then keep
// only their original layout.
bool repack_enabled();

}  // namespace airlock
