// Weight-matrix products at llama-1B-like shapes (rows x cols: 2048x2048 attention, 8192x2048
// feed-forward up/gate, 2048x8192 feed-forward down).
// One token is bound by memory bandwidth: reported as GB/s of weight bytes read. 128 tokens
// (prompt processing) is bound by arithmetic: reported as GFLOP/s (2 * rows * cols * tokens).
// The ISA path is the active one: run with AIRLOCK_CPU=scalar|avx2|avx512 to compare. Weights
// are repacked for the path's tile kernels as model loading does, unless AIRLOCK_REPACK=0.
// BM_Matmul1T runs on the calling thread and is timed in CPU time (stable on a busy machine);
// BM_MatmulPool uses a pool of one thread per physical core and is timed in wall-clock time.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "tensor/cpu_path.h"
#include "tensor/matmul.h"
#include "tensor/repack.h"
#include "tensor/repack_weights.h"
#include "tensor/thread_pool.h"
#include "tensor/type_traits.h"

using namespace airlock;

namespace {

struct Weights {
  std::vector<uint8_t> bytes;
  WeightView view;
  std::shared_ptr<const void> packed;
};

Weights make_weights(TensorType type, int64_t rows, int64_t cols) {
  std::mt19937 rng(1);
  std::normal_distribution<float> g(0.0f, 0.02f);
  const auto& tr = type_traits(type);
  const size_t row = *row_bytes(type, cols);
  Weights w;
  w.bytes.resize(row * static_cast<size_t>(rows));
  std::vector<float> x(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    // Quantizing every row is slow for the K-quants: reuse a few distinct rows.
    if (r < 8) {
      for (auto& v : x) v = g(rng);
      tr.from_float(x.data(), w.bytes.data() + row * static_cast<size_t>(r), cols);
    } else {
      std::copy_n(w.bytes.data() + row * static_cast<size_t>(r % 8), row, w.bytes.data() + row * static_cast<size_t>(r));
    }
  }
  w.view = WeightView{type, w.bytes.data(), rows, cols, row};
  WeightView* views[] = {&w.view};
  if (repack_enabled()) w.packed = pack_weights(views, active_cpu_path(), nullptr);
  return w;
}

ThreadPool& pool() {
  static ThreadPool p;  // physical cores
  return p;
}

void run_matmul(benchmark::State& state, TensorType type, ThreadPool* threads) {
  const int64_t rows = state.range(0), cols = state.range(1), tokens = state.range(2);
  const Weights w = make_weights(type, rows, cols);
  std::vector<float> x(static_cast<size_t>(cols * tokens), 0.5f), y(static_cast<size_t>(rows * tokens));
  for (auto _ : state) {
    matmul(w.view, x.data(), tokens, y.data(), threads);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetLabel(std::string(cpu_path_name(active_cpu_path())) + " threads=" + std::to_string(threads ? threads->size() : 1));
  if (tokens == 1)
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(w.bytes.size()));
  else
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(rows) * double(cols) * double(tokens) * 1e-9 *
                                                       double(state.iterations()),
                                                   benchmark::Counter::kIsRate);
}

void BM_Matmul1T(benchmark::State& state, TensorType type) { run_matmul(state, type, nullptr); }
void BM_MatmulPool(benchmark::State& state, TensorType type) { run_matmul(state, type, &pool()); }

void shapes(benchmark::internal::Benchmark* b) {
  for (int64_t tokens : {1, 4, 128})
    for (auto [rows, cols] : {std::pair<int64_t, int64_t>{2048, 2048}, {8192, 2048}, {2048, 8192}})
      b->Args({rows, cols, tokens});
  b->ArgNames({"rows", "cols", "tokens"})->Unit(benchmark::kMicrosecond);
}
void pool_shapes(benchmark::internal::Benchmark* b) { shapes(b->UseRealTime()); }

}  // namespace

BENCHMARK_CAPTURE(BM_Matmul1T, q4_0, TensorType::Q4_0)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul1T, q4_K, TensorType::Q4_K)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul1T, q6_K, TensorType::Q6_K)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul1T, q8_0, TensorType::Q8_0)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul1T, f16, TensorType::F16)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul1T, bf16, TensorType::BF16)->Apply(shapes);
BENCHMARK_CAPTURE(BM_MatmulPool, q4_0, TensorType::Q4_0)->Apply(pool_shapes);
BENCHMARK_CAPTURE(BM_MatmulPool, q4_K, TensorType::Q4_K)->Apply(pool_shapes);
BENCHMARK_CAPTURE(BM_MatmulPool, q6_K, TensorType::Q6_K)->Apply(pool_shapes);
BENCHMARK_CAPTURE(BM_MatmulPool, q8_0, TensorType::Q8_0)->Apply(pool_shapes);
BENCHMARK_CAPTURE(BM_MatmulPool, f16, TensorType::F16)->Apply(pool_shapes);
BENCHMARK_CAPTURE(BM_MatmulPool, bf16, TensorType::BF16)->Apply(pool_shapes);

BENCHMARK_MAIN();
