// One sample() call over a Qwen-sized vocabulary (151,936 logits) for the common settings.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "sample/sampler.h"

namespace {

std::vector<float> random_logits() {
  std::mt19937 gen(1);
  std::normal_distribution<float> nd(0, 2.5f);
  std::vector<float> l(151936);
  for (auto& x : l) x = nd(gen);
  return l;
}

void run(benchmark::State& state, airlock::SamplingParams p) {
  const auto logits = random_logits();
  p.has_seed = true;
  airlock::Sampler s(p, static_cast<int32_t>(logits.size()));
  for (int i = 0; i < 64; ++i) s.accept(i * 7);
  for (auto _ : state) benchmark::DoNotOptimize(s.sample(logits.data()));
}

void BM_Greedy(benchmark::State& st) {
  airlock::SamplingParams p;
  p.temperature = 0;
  run(st, p);
}
void BM_Defaults(benchmark::State& st) { run(st, airlock::SamplingParams{}); }  // top_k 40, top_p 0.9
void BM_TopPOnly(benchmark::State& st) {
  airlock::SamplingParams p;
  p.top_k = 0;
  p.top_p = 0.95f;
  run(st, p);
}
void BM_MinPOnly(benchmark::State& st) {
  airlock::SamplingParams p;
  p.top_k = 0;
  p.top_p = 1;
  p.min_p = 0.05f;
  run(st, p);
}

BENCHMARK(BM_Greedy);
BENCHMARK(BM_Defaults);
BENCHMARK(BM_TopPOnly);
BENCHMARK(BM_MinPOnly);

}  // namespace
