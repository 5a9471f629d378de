// `airlock embed MODEL TEXT... [--normalize]`: one JSON array (the embedding) per input line.
#include <airlock/airlock.h>

#include <nlohmann/json.hpp>

#include <cstdio>

#include "command.h"
#include "model_arg.h"

namespace {

struct Options {
  std::string model;
  std::vector<std::string> texts;
  bool normalize = false;
  int64_t ctx = 4096;
  int threads = 0;
};

airlock::cli::Registrar reg("embed", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("embed", "Print the embedding of each text as a JSON array, one per line");
  cmd->add_option("model", o->model, "GGUF embedding model file or model-store NAME[:TAG]")->required();
  cmd->add_option("text", o->texts, "Texts to embed")->required();
  cmd->add_flag("--normalize", o->normalize, "Scale each vector to unit length");
  cmd->add_option("--ctx", o->ctx, "Context length")->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  cmd->add_option("--threads", o->threads, "Threads (0: one per core)");
  cmd->callback([o] {
    auto model = airlock::Model::load(airlock::cli::resolve_model_arg(o->model), {.n_ctx = o->ctx, .n_threads = o->threads});
    for (const auto& t : o->texts)
      std::printf("%s\n", nlohmann::json(model->embed(t, o->normalize)).dump().c_str());
  });
});

}  // namespace
