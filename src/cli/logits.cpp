// `airlock logits MODEL --prompt TEXT [--top K] [--full]`: the model's raw next-token scores for
// every prompt position, as JSON, for checking airlock against other engines.
#include <airlock/airlock.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "command.h"
#include "model_arg.h"

namespace {

struct Options {
  std::string model;
  std::string prompt;
  int top = 8;
  bool full = false;
  int64_t ctx = 4096;
  int threads = 0;
};

nlohmann::json top_k(const float* logits, int64_t n_vocab, int k) {
  std::vector<int32_t> ids(static_cast<size_t>(n_vocab));
  std::iota(ids.begin(), ids.end(), 0);
  const auto kk = static_cast<size_t>(std::clamp<int64_t>(k, 0, n_vocab));
  std::partial_sort(ids.begin(), ids.begin() + static_cast<long>(kk), ids.end(),
                    [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < kk; ++i) out.push_back({ids[i], logits[ids[i]]});
  return out;
}

void run(const Options& o) {
  auto model = airlock::Model::load(airlock::cli::resolve_model_arg(o.model), {.n_ctx = o.ctx, .n_threads = o.threads});
  const auto tokens = model->tokenize(o.prompt, true, false);
  auto session = model->new_session();
  const auto logits = session->evaluate(tokens);
  const int64_t V = model->info().n_vocab;
  nlohmann::json j;
  j["model"] = model->info().path;
  j["n_vocab"] = V;
  j["tokens"] = tokens;
  nlohmann::json positions = nlohmann::json::array();
  for (size_t p = 0; p < tokens.size(); ++p) positions.push_back(top_k(logits.data() + p * static_cast<size_t>(V), V, o.top));
  j["top"] = positions;
  if (o.full) j["last_logits"] = std::vector<float>(logits.end() - V, logits.end());
  std::printf("%s\n", j.dump().c_str());
}

airlock::cli::Registrar reg("logits", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("logits", "Print the next-token logits of every prompt position as JSON");
  cmd->add_option("model", o->model, "GGUF model file or model-store NAME[:TAG]")->required();
  cmd->add_option("--prompt", o->prompt, "Text to evaluate (tokenised with BOS as the model asks)")->required();
  cmd->add_option("--top", o->top, "Highest logits listed per position")->check(CLI::Range(0, 1 << 20));
  cmd->add_flag("--full", o->full, "Also print every logit of the last position");
  cmd->add_option("--ctx", o->ctx, "Context length")->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  cmd->add_option("--threads", o->threads, "Threads (0: one per core)");
  cmd->callback([o] { run(*o); });
});

}  // namespace
