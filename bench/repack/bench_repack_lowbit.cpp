// The packed tiles of the low-bit types read-only in airlock (TQ2_0, TQ1_0, MXFP4, IQ1_S, IQ1_M)
// against their per-row vec_dot kernels on the same random blocks, both through matmul on one
// thread (AIRLOCK_REPACK's A/B without a model file), at a llama-1B shape (2048 x 2048) with 1, 8
// and 64 tokens. Reported as GMAC/s (rows * cols * tokens multiply-adds per second). The machine
// is shared: run with --benchmark_repetitions=N and read the "_median" rows.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "random_blocks.h"
#include "tensor/cpu_path.h"
#include "tensor/matmul.h"
#include "tensor/repack.h"
#include "tensor/repack_weights.h"

using namespace airlock;

namespace {

void BM_Matmul(benchmark::State& state, TensorType type, bool packed) {
  if (detected_cpu_path() != CpuPath::Avx512) {
    state.SkipWithError("CPU lacks AVX-512 VNNI");
    return;
  }
  const int64_t rows = state.range(0), cols = state.range(1), tokens = state.range(2);
  std::mt19937 rng(1);
  const std::vector<uint8_t> weights = test::random_blocks(type, rows * cols, rng);
  WeightView w{type, weights.data(), rows, cols, weights.size() / static_cast<size_t>(rows)};
  WeightView* views[] = {&w};
  const auto owner = packed ? pack_weights(views, CpuPath::Avx512, nullptr) : nullptr;
  if (packed && !w.packed) {
    state.SkipWithError("no packed layout");
    return;
  }
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(tokens * cols)), y(static_cast<size_t>(tokens * rows));
  for (auto& v : x) v = g(rng);
  for (auto _ : state) {
    matmul(w, x.data(), tokens, y.data(), nullptr);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GMAC/s"] = benchmark::Counter(double(rows) * double(cols) * double(tokens) * 1e-9 *
                                                double(state.iterations()), benchmark::Counter::kIsRate);
}

void shapes(benchmark::internal::Benchmark* b) {
  for (int64_t tokens : {1, 8, 64}) b->Args({2048, 2048, tokens});
  b->ArgNames({"rows", "cols", "tokens"})->Unit(benchmark::kMicrosecond);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Matmul, tq2_0_rows, TensorType::TQ2_0, false)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul, tq2_0_packed, TensorType::TQ2_0, true)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul, mxfp4_rows, TensorType::MXFP4, false)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul, mxfp4_packed, TensorType::MXFP4, true)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul, iq1_s_rows, TensorType::IQ1_S, false)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul, iq1_s_packed, TensorType::IQ1_S, true)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul, iq1_m_rows, TensorType::IQ1_M, false)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul, iq1_m_packed, TensorType::IQ1_M, true)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul, tq1_0_rows, TensorType::TQ1_0, false)->Apply(shapes);
BENCHMARK_CAPTURE(BM_Matmul, tq1_0_packed, TensorType::TQ1_0, true)->Apply(shapes);

BENCHMARK_MAIN();
