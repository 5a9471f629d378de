// Tiled attention over a filled KV cache, one KV head at a time as Context runs it: a decode step
// (the n_gqa query heads of one token) and a prompt task (32 tokens x n_gqa heads, causal) at a
// given depth; llama-3.2-1B head shape (64, 4 query heads per KV head). Per iteration: one layer's
// eight KV heads, so a token's attention time is 16 times that (16 layers).
//   build/bench/model/bench_attention --benchmark_filter=Decode
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "model/attention.h"
#include "model/kv_cache.h"

namespace {

using namespace airlock;
using namespace airlock::model;

constexpr int64_t kHeadsKv = 8, kGqa = 4, kDim = 64;

struct Filled {
  Hparams hp;
  KvCache kv;
  Filled(int64_t n_pos, TensorType type) : hp(shape()), kv(hp, n_pos, 1, type) {
    std::mt19937 rng(7);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> k(static_cast<size_t>(kv.n_embd_k())), v(static_cast<size_t>(kv.n_embd_v()));
    for (int64_t p = 0; p < n_pos; ++p) {
      for (float& x : k) x = dist(rng);
      for (float& x : v) x = dist(rng);
      kv.store(0, 0, p, k.data(), v.data());
    }
  }
  static Hparams shape() {
    Hparams hp;
    hp.n_layer = 1;
    hp.n_head_kv = kHeadsKv;
    hp.head_dim_k = hp.head_dim_v = kDim;
    return hp;
  }
};

void run(benchmark::State& state, TensorType type, int64_t tokens) {
  const int64_t depth = state.range(0);
  Filled f(depth + tokens, type);
  std::vector<float> q(static_cast<size_t>(tokens * kGqa * kDim), 0.1f), out(q.size());
  std::vector<AttentionQuery> queries;
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t h = 0; h < kGqa; ++h) {
      const int64_t i = t * kGqa + h;
      queries.push_back({q.data() + i * kDim, out.data() + i * kDim, 0, depth + t + 1});
    }
  const AttentionShape shape{kDim, kDim, 1.0f / std::sqrt(static_cast<float>(kDim)), 0.0f};
  BlockAttention att;
  for (auto _ : state) {
    for (int64_t g = 0; g < kHeadsKv; ++g) att.run(f.kv, 0, 0, g, shape, queries);
    benchmark::DoNotOptimize(out.data());
  }
}

void Decode_F16(benchmark::State& s) { run(s, TensorType::F16, 1); }
void Decode_Q8_0(benchmark::State& s) { run(s, TensorType::Q8_0, 1); }
void Prompt32_F16(benchmark::State& s) { run(s, TensorType::F16, 32); }

BENCHMARK(Decode_F16)->Arg(512)->Arg(2048)->Unit(benchmark::kMicrosecond);
BENCHMARK(Decode_Q8_0)->Arg(2048)->Unit(benchmark::kMicrosecond);
BENCHMARK(Prompt32_F16)->Arg(2048)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
