// airlock synth: writes a random-weight model with a real model's shapes (see src/model/synth.h).
#include <airlock/error.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "command.h"
#include "model/synth.h"

namespace {

struct SynthArgs {
  airlock::synth::Options options;
  std::string output;
  int threads = 0;
  bool list = false;
};

void run(const SynthArgs& a) {
  using namespace airlock::synth;
  if (a.list) {
    for (const auto& p : presets())
      std::printf("%-14s %-6s embd %-5lld layers %-3lld heads %lld/%lld ff %-6lld vocab %lld%s\n",
                  p.name.c_str(), p.arch.c_str(), static_cast<long long>(p.n_embd),
                  static_cast<long long>(p.n_layer), static_cast<long long>(p.n_head),
                  static_cast<long long>(p.n_head_kv), static_cast<long long>(p.n_ff),
                  static_cast<long long>(p.n_vocab), p.vocab == VocabKind::Demo ? " (learned)" : "");
    std::printf("types:");
    for (const auto& t : airlock::file_types()) std::printf(" %s", t.name.c_str());
    std::printf("\n");
    return;
  }
  if (a.output.empty()) throw airlock::Error("synth: -o/--output is required");
  const auto start = std::chrono::steady_clock::now();
  const ModelPlan plan = plan_model(a.options);
  write_model(plan, a.options.seed, a.output, a.threads, [](size_t i, size_t n) {
    std::fprintf(stderr, "\rsynth: tensor %zu/%zu", i, n);
    if (i == n) std::fprintf(stderr, "\n");
  });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("wrote %s: %s %s, %zu tensors, vocab %lld, %.1f MiB in %.1f s\n", a.output.c_str(),
              plan.preset.name.c_str(), plan.file_type.name.c_str(), plan.tensors.size(),
              static_cast<long long>(plan.preset.n_vocab),
              static_cast<double>(std::filesystem::file_size(a.output)) / (1 << 20), seconds);
}

airlock::cli::Registrar reg("synth", [](CLI::App& app) {
  auto args = std::make_shared<SynthArgs>();
  auto* cmd = app.add_subcommand("synth", "Write a random-weight GGUF model with a real model's shapes");
  cmd->add_option("-p,--preset", args->options.preset, "Model shapes (see --list)");
  cmd->add_option("-t,--type", args->options.type, "File type: F32, F16, Q8_0, Q4_K_M, ... (see --list)");
  cmd->add_option("-o,--output", args->output, "Output .gguf file");
  cmd->add_option("--seed", args->options.seed, "Random seed for the weights");
  cmd->add_option("--layers", args->options.layers, "Override the number of layers");
  cmd->add_option("--embd", args->options.embd, "Override the embedding length");
  cmd->add_option("--ff", args->options.ff, "Override the feed-forward length");
  cmd->add_option("--vocab", args->options.vocab, "Override the vocabulary size");
  cmd->add_option("--threads", args->threads, "Worker threads (default: one per physical core)");
  cmd->add_flag("--list", args->list, "List presets and file types");
  cmd->callback([args] { run(*args); });
});

}  // namespace
