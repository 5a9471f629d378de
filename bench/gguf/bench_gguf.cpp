// How long opening a GGUF takes when its metadata holds a large vocabulary (the tokenizer opens
// such files on every model load), and how long the tokenizer's typed copy of it takes.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "gguf/gguf.h"

namespace {

std::filesystem::path fixture(const char* rel) {
  const char* env = std::getenv("AIRLOCK_FIXTURES");
  return std::filesystem::path(env ? env : AIRLOCK_DEFAULT_FIXTURES) / rel;
}

void BM_OpenVocab(benchmark::State& state, const char* rel) {
  const auto path = fixture(rel);
  if (!std::filesystem::exists(path)) {
    state.SkipWithError("fixture missing");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(airlock::gguf::File::open(path));
}

void BM_TokenStrings(benchmark::State& state) {
  const auto path = fixture("vocab/ggml-vocab-qwen2.gguf");
  if (!std::filesystem::exists(path)) {
    state.SkipWithError("fixture missing");
    return;
  }
  auto f = airlock::gguf::File::open(path);
  for (auto _ : state) benchmark::DoNotOptimize(f->get_strings("tokenizer.ggml.tokens"));
}

BENCHMARK_CAPTURE(BM_OpenVocab, qwen2, "vocab/ggml-vocab-qwen2.gguf")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_OpenVocab, llama_bpe, "vocab/ggml-vocab-llama-bpe.gguf")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TokenStrings)->Unit(benchmark::kMillisecond);

}  // namespace
