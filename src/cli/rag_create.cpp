// `airlock rag create NAME --embed MODEL [--chunk-tokens 400 --overlap 60]`
#include <cstdio>

#include "command.h"
#include "rag_cli.h"

namespace {
struct Options {
  std::string name, embed;
  int64_t chunk_tokens = 400, overlap = 60;
};

airlock::cli::Registrar reg("rag create", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = airlock::cli::rag_command(app)->add_subcommand("create", "Make an empty collection");
  cmd->add_option("name", o->name, "Collection name")->required();
  cmd->add_option("--embed", o->embed, "Embedding model in the store (NAME[:TAG])")->required();
  cmd->add_option("--chunk-tokens", o->chunk_tokens, "Most tokens per chunk");
  cmd->add_option("--overlap", o->overlap, "Tokens shared by consecutive chunks");
  cmd->callback([o] {
    using namespace airlock;
    // The model must exist and embed now, not at the first ingest.
    const rag::LocalEmbedder check(cli::rag_store_dir(), o->embed, 1);
    rag::create_collection(cli::rag_store_dir(), o->name, {o->embed, o->chunk_tokens, o->overlap});
    std::printf("created collection %s (embedding model %s, %lld tokens per chunk, %lld overlap)\n", o->name.c_str(),
                o->embed.c_str(), static_cast<long long>(o->chunk_tokens), static_cast<long long>(o->overlap));
  });
});
}  // namespace
