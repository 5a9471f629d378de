// The per-token cost of grammar masking inside the real decode loop: the same model decodes the
// same number of tokens without and with a JSON-schema constraint, and the difference per token
// is the overhead (mask over the whole vocabulary + accept). Both schemas keep the output inside a
// string, where almost every token is allowed, so the trie walk visits most of the vocabulary:
//   json_schema           a free string; the usual case.
//   json_schema_forced    a string of at least 400 characters that the 24-token budget can never
//                         finish: every step also takes the budget path (tokens on a shortest way
//                         to the end), the costliest case.
//   AIRLOCK_BENCH_MODEL=/tmp/perf-llama-3.2-1b-Q4_K_M.gguf build/bench/structured/bench_constrained_decode
#include <benchmark/benchmark.h>

#include <airlock/airlock.h>

#include <cstdlib>
#include <filesystem>

namespace {

constexpr int64_t kTokens = 24;

std::shared_ptr<airlock::Model> bench_model() {
  static std::shared_ptr<airlock::Model> model = [] {
    const char* env = std::getenv("AIRLOCK_BENCH_MODEL");
    const std::filesystem::path path = env ? env : "/tmp/perf-llama-3.2-1b-Q4_K_M.gguf";
    return std::filesystem::exists(path) ? airlock::Model::load(path, {.n_ctx = 256}) : nullptr;
  }();
  return model;
}

void decode(benchmark::State& state, const char* schema) {
  auto model = bench_model();
  if (!model) {
    state.SkipWithError("no model: set AIRLOCK_BENCH_MODEL (airlock synth --preset llama-3.2-1b --type Q4_K_M)");
    return;
  }
  auto session = model->new_session();
  airlock::GenerateOptions o;
  o.sampling.temperature = 1.0f;
  o.sampling.has_seed = true;
  o.num_predict = kTokens;
  if (schema) {
    o.format = schema;
    model->compile_constraint(o.grammar, o.format);  // compiled once, as the server does
  }
  int64_t tokens = 0, eval_ns = 0;
  for (auto _ : state) {
    ++o.sampling.seed;
    const auto r = session->generate("Summarise the visit:", o, nullptr);
    tokens += r.generated_tokens;
    eval_ns += r.eval_ns;
  }
  state.counters["vocab"] = static_cast<double>(model->info().n_vocab);
  state.counters["tokens"] = static_cast<double>(tokens);
  state.counters["ms_per_token"] = tokens ? static_cast<double>(eval_ns) / 1e6 / static_cast<double>(tokens) : 0;
}

constexpr const char* kFreeString =
    R"({"type":"object","properties":{"summary":{"type":"string"}},"required":["summary"]})";
constexpr const char* kLongString =
    R"({"type":"object","properties":{"summary":{"type":"string","minLength":400}},"required":["summary"]})";

BENCHMARK_CAPTURE(decode, plain, nullptr)->Unit(benchmark::kMillisecond)->Iterations(4);
BENCHMARK_CAPTURE(decode, json_schema, kFreeString)->Unit(benchmark::kMillisecond)->Iterations(4);
BENCHMARK_CAPTURE(decode, json_schema_forced, kLongString)->Unit(benchmark::kMillisecond)->Iterations(4);

}  // namespace

BENCHMARK_MAIN();
