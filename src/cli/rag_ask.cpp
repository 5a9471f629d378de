// `airlock rag ask NAME "question" --model MODEL`: retrieval, then an answer generated from the
// numbered sources only, then the sources the answer cited (or all, when it cited none).
#include <airlock/airlock.h>

#include <cstdio>

#include "command.h"
#include "model_arg.h"
#include "rag/answer_prompt.h"
#include "rag/query.h"
#include "rag_cli.h"
#include "template/chat_template.h"

namespace {
using namespace airlock;

struct Options {
  std::string name, question, model, path;
  size_t k = 5;
  double min_similarity = 0.5;
  int64_t num_predict = 512;
  int64_t ctx = 4096;
  float temperature = 0.2f;
};

std::string token_text(const Model& m, int32_t id) {
  return id < 0 ? std::string() : m.detokenize(std::span<const int32_t>(&id, 1));
}

airlock::cli::Registrar reg("rag ask", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = cli::rag_command(app)->add_subcommand("ask", "Answer a question from a collection, citing its sources");
  cmd->add_option("name", o->name, "Collection name")->required();
  cmd->add_option("question", o->question, "The question")->required();
  cmd->add_option("--model", o->model, "Generation model (file or store NAME[:TAG])")->required();
  cmd->add_option("-k", o->k, "Chunks to answer from")->check(CLI::Range(1, 50));
  cmd->add_option("--path", o->path, "Only documents whose path starts with this");
  cmd->add_option("--min-similarity", o->min_similarity,
                  "Below this cosine similarity, a chunk without matching words does not count as relevant");
  cmd->add_option("--num-predict", o->num_predict, "Most tokens in the answer");
  cmd->add_option("--ctx", o->ctx, "Generation context length");
  cmd->add_option("--temperature", o->temperature, "Sampling temperature");
  cmd->callback([o] {
    auto c = cli::open_collection(o->name);
    auto embedder = cli::collection_embedder(c);
    const rag::SearchIndex index(c);
    const auto r = rag::run_query(c, index, *embedder, o->question, {.k = o->k, .path_prefix = o->path});
    if (!rag::relevant(r.hits, o->min_similarity)) {
      std::printf("%s\n", rag::kNothingFound);
      return;
    }
    auto model = Model::load(cli::resolve_model_arg(o->model), {.n_ctx = o->ctx});
    const auto& info = model->info();
    const auto tmpl = tmpl::ChatTemplate::or_chatml(info.chat_template, info.path);
    tmpl::ChatOptions copt;
    copt.add_generation_prompt = true;
    copt.bos_token = token_text(*model, info.bos);
    copt.eos_token = token_text(*model, info.eos);
    nlohmann::ordered_json messages = nlohmann::ordered_json::array();
    messages.push_back({{"role", "system"}, {"content", rag::sources_system_prompt(r.hits)}});
    messages.push_back({{"role", "user"}, {"content", o->question}});
    const std::string prompt = tmpl.render(messages, copt);
    const bool has_bos = !copt.bos_token.empty() && prompt.starts_with(copt.bos_token);
    auto tokens = model->tokenize(prompt, !has_bos, true);
    // Leave room for the answer: the oldest part of an over-long prompt would be cut by nobody.
    const auto room = static_cast<size_t>(std::max<int64_t>(info.n_ctx - o->num_predict, 1));
    if (tokens.size() > room)
      throw Error("the question and " + std::to_string(r.hits.size()) + " sources take " + std::to_string(tokens.size()) +
                  " tokens, more than the model's context leaves (" + std::to_string(room) + "); use a smaller -k");
    GenerateOptions g;
    g.num_predict = o->num_predict;
    g.sampling.temperature = o->temperature;
    auto session = model->new_session();
    const auto result = session->generate(tokens, g, [](std::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
      return true;
    });
    std::printf("\n\nSources:\n");
    auto cited = rag::cited_sources(result.text, r.hits.size());
    const bool none_cited = cited.empty();
    for (size_t i = 0; i < r.hits.size(); ++i)
      if (none_cited || cited.contains(static_cast<int>(i + 1)))
        std::printf("[%zu] %s\n", i + 1, rag::source_location(r.hits[i].chunk).c_str());
    if (none_cited) std::printf("(the answer cited none of the sources; all are listed)\n");
  });
});
}  // namespace
