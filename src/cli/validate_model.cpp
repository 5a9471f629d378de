#include "validate_model.h"

#include <airlock/airlock.h>

#include <cmath>
#include <cstdio>
#include <string>

namespace airlock::cli {

namespace {

void run_briefly(const std::filesystem::path& path) {
  // A small context keeps the KV cache (and the check) cheap for any model size.
  auto model = Model::load(path, {.n_ctx = 256, .n_threads = 0, .n_batch = 64});
  const std::string text = "The quick brown fox jumps over the lazy dog.";
  if (model->info().is_embedding) {
    const auto v = model->embed(text, true);
    if (v.empty()) throw Error("the embedding is empty");
    for (float x : v)
      if (!std::isfinite(x)) throw Error("the embedding holds a value that is not finite");
    return;
  }
  GenerateOptions opts;
  opts.sampling.temperature = 0;
  opts.num_predict = 4;
  auto session = model->new_session();
  const auto logits = session->evaluate(model->tokenize(text));
  for (float x : logits)
    if (!std::isfinite(x)) throw Error("the logits hold a value that is not finite");
  session->reset();
  const auto r = session->generate(text, opts, [](std::string_view) { return true; });
  if (r.generated_tokens == 0 && r.done_reason != "stop") throw Error("generated no tokens (" + r.done_reason + ")");
}

}  // namespace

store::ValidateHook engine_validator() {
  return [](const store::ResolvedModel& candidate) {
    std::fprintf(stderr, "validating %s...\n", candidate.ref.display().c_str());
    try {
      run_briefly(candidate.model_path);
    } catch (const std::exception& e) {
      throw Error(candidate.ref.display() + ": validation failed, the tag was not changed: " + e.what());
    }
  };
}

}  // namespace airlock::cli
