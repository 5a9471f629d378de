// Repacked 16-row tile kernels (Q6_K, Q8_0, Q4_0) against the per-row AVX-512 kernels of the type
// table (vec_dot for one token, vec_dot_multi for several), single thread, on whole matrices of
// llama-1B shapes (rows x cols: 2048x2048, 8192x2048). Reported as GMAC/s (rows * cols * tokens
// multiply-adds per second, CPU time) plus the weight bytes read per second. The machine is shared:
// run with --benchmark_repetitions=N and read the "_median" rows.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "tensor/cpu_path.h"
#include "tensor/repack_q6_K_legacy.h"
#include "tensor/type_traits.h"

using namespace airlock;
using namespace airlock::kernels;

namespace {

struct Tile {
  size_t (*group_bytes)(int64_t);
  void (*pack)(const void*, size_t, int64_t, void*);
  void (*tile)(int64_t, const void*, const void*, size_t, int, float*, size_t);
};

Tile tile_for(TensorType t) {
  switch (t) {
    case TensorType::Q6_K: return {q6_K_x16_group_bytes, q6_K_x16_pack, q6_K_x16_tile_avx512};
    case TensorType::Q8_0: return {q8_0_x16_group_bytes, q8_0_x16_pack, q8_0_x16_tile_avx512};
    default: return {q4_0_x16_group_bytes, q4_0_x16_pack, q4_0_x16_tile_avx512};
  }
}

// rows x cols weights (8 distinct random rows repeated: quantizing K-quant rows is slow) and
// `tokens` activation rows in the type's vec_dot_type.
struct Problem {
  size_t row = 0, act_row = 0;
  std::vector<uint8_t> weights, acts;
};

Problem make_problem(TensorType type, int64_t rows, int64_t cols, int64_t tokens) {
  std::mt19937 rng(1);
  std::normal_distribution<float> g(0.0f, 0.02f);
  const auto& tr = type_traits(type);
  Problem p;
  p.row = *row_bytes(type, cols);
  p.act_row = *row_bytes(tr.vec_dot_type, cols);
  p.weights.resize(p.row * static_cast<size_t>(rows));
  p.acts.resize(p.act_row * static_cast<size_t>(tokens));
  std::vector<float> x(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    if (r < 8) {
      for (auto& v : x) v = g(rng);
      tr.from_float(x.data(), p.weights.data() + p.row * static_cast<size_t>(r), cols);
    } else {
      std::copy_n(p.weights.data() + p.row * static_cast<size_t>(r % 8), p.row, p.weights.data() + p.row * static_cast<size_t>(r));
    }
  }
  for (int64_t t = 0; t < tokens; ++t) {
    for (auto& v : x) v = g(rng) * 50.0f;
    type_traits(tr.vec_dot_type).from_float(x.data(), p.acts.data() + p.act_row * static_cast<size_t>(t), cols);
  }
  return p;
}

void report(benchmark::State& state, int64_t rows, int64_t cols, int64_t tokens, size_t weight_bytes) {
  const double iters = static_cast<double>(state.iterations());
  state.counters["GMAC/s"] = benchmark::Counter(double(rows) * double(cols) * double(tokens) * 1e-9 * iters,
                                                benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(iters * double(weight_bytes)));
}

bool skip_without_vnni(benchmark::State& state) {
  if (detected_cpu_path() == CpuPath::Avx512) return false;
  state.SkipWithError("CPU lacks AVX-512 VNNI");
  return true;
}

void BM_Tile(benchmark::State& state, TensorType type) {
  if (skip_without_vnni(state)) return;
  const int64_t rows = state.range(0), cols = state.range(1), tokens = state.range(2);
  const Problem p = make_problem(type, rows, cols, tokens);
  const Tile k = tile_for(type);
  const size_t group = k.group_bytes(cols);
  std::vector<uint8_t> packed(group * static_cast<size_t>(rows / kRepackRows));
  for (int64_t gi = 0; gi < rows / kRepackRows; ++gi)
    k.pack(p.weights.data() + p.row * static_cast<size_t>(gi * kRepackRows), p.row, cols, packed.data() + group * static_cast<size_t>(gi));
  std::vector<float> out(static_cast<size_t>(rows * tokens));
  for (auto _ : state) {
    for (int64_t gi = 0; gi < rows / kRepackRows; ++gi)
      k.tile(cols, packed.data() + group * static_cast<size_t>(gi), p.acts.data(), p.act_row, static_cast<int>(tokens),
             out.data() + gi * kRepackRows, static_cast<size_t>(rows));
    benchmark::DoNotOptimize(out.data());
  }
  report(state, rows, cols, tokens, packed.size());
}

void BM_PerRow(benchmark::State& state, TensorType type) {
  if (skip_without_vnni(state)) return;
  const int64_t rows = state.range(0), cols = state.range(1), tokens = state.range(2);
  const Problem p = make_problem(type, rows, cols, tokens);
  const auto& tr = type_traits(type);
  const VecDotFn dot = vec_dot_kernel(tr, CpuPath::Avx512);
  const VecDotMultiFn multi = vec_dot_multi_kernel(tr, CpuPath::Avx512);
  std::vector<float> out(static_cast<size_t>(rows * tokens));
  for (auto _ : state) {
    for (int64_t r = 0; r < rows; ++r) {
      const uint8_t* w = p.weights.data() + p.row * static_cast<size_t>(r);
      if (tokens == 1 || !multi)
        for (int64_t t = 0; t < tokens; ++t)
          out[static_cast<size_t>(r * tokens + t)] = dot(cols, w, p.acts.data() + p.act_row * static_cast<size_t>(t));
      else
        multi(cols, w, p.acts.data(), p.act_row, static_cast<int>(tokens), out.data() + r * tokens);
    }
    benchmark::DoNotOptimize(out.data());
  }
  report(state, rows, cols, tokens, p.weights.size());
}

void shapes(benchmark::internal::Benchmark* b) {
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{2048, 2048}, {8192, 2048}})
    for (int64_t tokens : {1, 4, 8}) b->Args({rows, cols, tokens});
  b->ArgNames({"rows", "cols", "tokens"})->Unit(benchmark::kMicrosecond);
}

}  // namespace

BENCHMARK_CAPTURE(BM_PerRow, q6_K, TensorType::Q6_K)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Tile, q6_K, TensorType::Q6_K)->Apply(shapes);
BENCHMARK_CAPTURE(BM_PerRow, q8_0, TensorType::Q8_0)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Tile, q8_0, TensorType::Q8_0)->Apply(shapes);
BENCHMARK_CAPTURE(BM_PerRow, q4_0, TensorType::Q4_0)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Tile, q4_0, TensorType::Q4_0)->Apply(shapes);

BENCHMARK_MAIN();
