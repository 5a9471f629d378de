// `airlock rag search NAME "query" [-k 8] [--path PREFIX] [--mode hybrid|bm25|vector] [--json]`
#include <cstdio>

#include "command.h"
#include "rag/answer_prompt.h"
#include "rag/query.h"
#include "rag_cli.h"

namespace {
using namespace airlock;

struct Options {
  std::string name, query, path, mode = "hybrid";
  size_t k = 8;
  bool json = false;
};

airlock::cli::Registrar reg("rag search", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = cli::rag_command(app)->add_subcommand("search", "The chunks that best match a query, with their sources");
  cmd->add_option("name", o->name, "Collection name")->required();
  cmd->add_option("query", o->query, "What to look for")->required();
  cmd->add_option("-k", o->k, "How many chunks")->check(CLI::Range(1, 1000));
  cmd->add_option("--path", o->path, "Only documents whose path starts with this");
  cmd->add_option("--mode", o->mode, "hybrid, bm25 or vector")->check(CLI::IsMember({"hybrid", "bm25", "vector"}));
  cmd->add_flag("--json", o->json, "One JSON object instead of text");
  cmd->callback([o] {
    auto c = cli::open_collection(o->name);
    auto embedder = cli::collection_embedder(c);
    const rag::SearchIndex index(c);
    rag::SearchOptions opts{.k = o->k, .path_prefix = o->path};
    opts.mode = o->mode == "bm25" ? rag::SearchMode::BM25 : o->mode == "vector" ? rag::SearchMode::Vector
                                                                                  : rag::SearchMode::Hybrid;
    const auto r = rag::run_query(c, index, *embedder, o->query, opts);
    if (o->json) {
      std::printf("%s\n", rag::query_json(o->name, o->query, r).dump(2).c_str());
      return;
    }
    if (r.truncated) std::fprintf(stderr, "note: the query is longer than the embedding model's context; cut to fit\n");
    for (size_t i = 0; i < r.hits.size(); ++i) {
      const auto& h = r.hits[i];
      std::printf("[%zu] %s  score %.4f  similarity %.3f%s\n", i + 1, rag::source_location(h.chunk).c_str(), h.score,
                  h.similarity, h.bm25_rank ? "  (words match)" : "");
      if (!h.chunk.chunk.heading.empty()) std::printf("    %s\n", h.chunk.chunk.heading.c_str());
      std::string text = h.chunk.chunk.text.substr(0, 300);
      for (char& ch : text)
        if (ch == '\n') ch = ' ';
      std::printf("    %s\n\n", text.c_str());
    }
    if (r.hits.empty()) std::printf("no matching chunks\n");
  });
});
}  // namespace
