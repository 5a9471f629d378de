// Tokenisation throughput on 1 MB of English prose with the Llama 3 (byte-level BPE) and
// Llama 2 (SentencePiece) vocabularies from ../shared/fixtures/vocab.
//   build/bench/tokenizer/bench_tokenizer --benchmark_min_time=1
// Reports seconds per MB as the iteration time (one iteration = 1 MB).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "support/fixtures.h"
#include "tokenizer/tokenizer.h"

namespace {

constexpr const char* kProse =
    "The old lighthouse keeper climbed the narrow stairs every evening, carrying a lamp and a "
    "notebook in which he wrote down the weather, the ships that passed, and the small events "
    "of the island. Nobody had asked him to keep such a record; he simply believed that a "
    "careful account of ordinary days would one day be worth more than any grand history. "
    "When the storms came in autumn, he stayed awake through the night, listening to the wind "
    "against the glass and counting the seconds between the flashes of the beam. In the "
    "morning he would walk along the shore, collecting driftwood, broken rope, and now and then "
    "a bottle with a faded label from a country he had never visited. His neighbours thought "
    "him strange, but they came to him whenever they needed to know what the sea had done in "
    "years past, because his notebooks remembered what their own memories had long forgotten.";

// Deterministic 1 MB of English: sentences of 6-24 words drawn from the paragraph's words
// with a fixed linear congruential generator, capitalised, punctuated, in paragraphs.
std::string english_megabyte() {
  std::vector<std::string> words;
  std::istringstream in(kProse);
  for (std::string w; in >> w;) {
    while (!w.empty() && (w.back() == ',' || w.back() == '.' || w.back() == ';')) w.pop_back();
    words.push_back(w);
  }
  uint64_t state = 0x2545F4914F6CDD1DULL;
  auto next = [&](uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  std::string text = std::string(kProse) + "\n\n";
  const size_t target = 1 << 20;
  while (text.size() < target) {
    const size_t n = 6 + next(19);
    for (size_t i = 0; i < n; ++i) {
      std::string w = words[next(words.size())];
      if (i == 0) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
      text += w;
      text += i + 1 == n ? (next(5) == 0 ? "? " : ". ") : (next(9) == 0 ? ", " : " ");
    }
    if (next(6) == 0) text += "\n\n";
  }
  text.resize(target);
  return text;
}

void run(benchmark::State& state, const char* vocab) {
  auto file = airlock::gguf::File::open(airlock::fixtures::dir() / "vocab" / vocab);
  auto tok = airlock::tokenizer::Tokenizer::from_gguf(*file);
  const std::string text = english_megabyte();
  size_t n_tokens = 0;
  for (auto _ : state) {
    auto ids = tok->encode(text, false, false);
    n_tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(n_tokens);
}

void BM_Llama3Bpe_1MB(benchmark::State& s) { run(s, "ggml-vocab-llama-bpe.gguf"); }
void BM_Llama2Spm_1MB(benchmark::State& s) { run(s, "ggml-vocab-llama-spm.gguf"); }
BENCHMARK(BM_Llama3Bpe_1MB)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Llama2Spm_1MB)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
