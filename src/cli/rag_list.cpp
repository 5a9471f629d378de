// `airlock rag ls`, `airlock rag show NAME`, `airlock rag rm NAME`
#include <cstdio>

#include "command.h"
#include "rag_cli.h"
#include "store_cli.h"

namespace {
using namespace airlock;

airlock::cli::Registrar reg_ls("rag ls", [](CLI::App& app) {
  auto* cmd = cli::rag_command(app)->add_subcommand("ls", "List the collections");
  cmd->callback([] {
    std::printf("%-24s %-24s %9s %9s %10s\n", "NAME", "EMBEDDING MODEL", "DOCUMENTS", "CHUNKS", "SIZE");
    for (const auto& name : rag::list_collections(cli::rag_store_dir())) {
      auto c = cli::open_collection(name);
      const auto s = c.stats();
      std::printf("%-24s %-24s %9lld %9lld %10s\n", name.c_str(), c.settings().embed_model.c_str(),
                  static_cast<long long>(s.documents), static_cast<long long>(s.chunks),
                  cli::human_bytes(s.disk_bytes).c_str());
    }
  });
});

airlock::cli::Registrar reg_show("rag show", [](CLI::App& app) {
  auto name = std::make_shared<std::string>();
  auto* cmd = cli::rag_command(app)->add_subcommand("show", "A collection's settings and documents");
  cmd->add_option("name", *name, "Collection name")->required();
  cmd->callback([name] {
    auto c = cli::open_collection(*name);
    const auto s = c.stats();
    std::printf("collection      %s\nembedding model %s\nchunk tokens    %lld (overlap %lld)\n", name->c_str(),
                c.settings().embed_model.c_str(), static_cast<long long>(c.settings().chunk_tokens),
                static_cast<long long>(c.settings().overlap_tokens));
    std::printf("documents       %lld\nchunks          %lld\ndimensions      %lld\ndisk            %s\n\n",
                static_cast<long long>(s.documents), static_cast<long long>(s.chunks), static_cast<long long>(s.dim),
                cli::human_bytes(s.disk_bytes).c_str());
    for (const auto& d : c.documents())
      std::printf("%6lld chunks  %-8s %s\n", static_cast<long long>(d.chunks), d.format.c_str(), d.path.c_str());
  });
});

airlock::cli::Registrar reg_rm("rag rm", [](CLI::App& app) {
  auto name = std::make_shared<std::string>();
  auto* cmd = cli::rag_command(app)->add_subcommand("rm", "Delete a collection");
  cmd->add_option("name", *name, "Collection name")->required();
  cmd->callback([name] {
    rag::remove_collection(cli::rag_store_dir(), *name);
    std::printf("deleted collection %s\n", name->c_str());
  });
});
}  // namespace
