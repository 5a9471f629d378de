// `airlock rag ingest NAME PATH... [--prune]`: a progress line on a terminal, plain lines otherwise,
// then a summary with the failures and their reasons. Exit status 1 when any file failed.
#include <unistd.h>

#include <cstdio>

#include "command.h"
#include "rag/event_log.h"
#include "rag/ingest.h"
#include "rag/search_index.h"
#include "rag_cli.h"

namespace {
using namespace airlock;

struct Options {
  std::string name;
  std::vector<std::string> paths;
  bool prune = false;
  int64_t max_file_mb = 64;
};

void show_progress(const rag::IngestProgress& p, bool tty) {
  const double rate = p.seconds > 0 ? static_cast<double>(p.chunks) / p.seconds : 0;
  const double eta = p.files_done > 0 ? p.seconds / static_cast<double>(p.files_done) *
                                            static_cast<double>(p.files_total - p.files_done) : 0;
  if (tty)
    std::fprintf(stderr, "\r\033[K[%zu/%zu files] %zu chunks, %.1f chunks/s, ETA %.0f s", p.files_done, p.files_total,
                 p.chunks, rate, eta);
  else
    std::fprintf(stderr, "ingested %zu/%zu %s (%zu chunks so far)\n", p.files_done, p.files_total, p.current.c_str(),
                 p.chunks);
}

airlock::cli::Registrar reg("rag ingest", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = cli::rag_command(app)->add_subcommand("ingest", "Add or update files and folders (recursively)");
  cmd->add_option("name", o->name, "Collection name")->required();
  cmd->add_option("paths", o->paths, "Files and folders")->required();
  cmd->add_flag("--prune", o->prune, "Remove documents under PATH whose files are gone");
  cmd->add_option("--max-file-mb", o->max_file_mb, "Skip files larger than this")->check(CLI::Range(1, 4096));
  cmd->callback([o] {
    auto c = cli::open_collection(o->name);
    auto embedder = cli::collection_embedder(c);
    const bool tty = ::isatty(STDERR_FILENO);
    rag::IngestOptions opts;
    opts.prune = o->prune;
    opts.max_file_bytes = static_cast<uint64_t>(o->max_file_mb) << 20;
    opts.progress = [tty](const rag::IngestProgress& p) { show_progress(p, tty); };
    std::vector<std::filesystem::path> paths(o->paths.begin(), o->paths.end());
    const auto r = rag::ingest_paths(c, *embedder, paths, opts);
    // The term index and a large collection's HNSW graph are built (and saved) now rather than by
    // the first search.
    { const rag::SearchIndex built(c); }
    if (tty) std::fprintf(stderr, "\n");
    std::printf("%zu files: %zu added, %zu updated, %zu unchanged, %zu removed, %zu unsupported, %zu failed; "
                "%zu chunks in %.1f s (%.1f chunks/s embedding)\n",
                r.files, r.added, r.updated, r.unchanged, r.removed, r.unsupported, r.failures.size(), r.chunks,
                r.seconds, r.chunks_per_second());
    for (const auto& f : r.failures) std::printf("failed: %s: %s\n", f.path.c_str(), f.reason.c_str());
    nlohmann::json event = rag::report_json(r);
    event.update({{"event", "ingest"}, {"collection", o->name}, {"paths", o->paths}});
    rag::log_event(c.dir(), event);
    if (!r.failures.empty()) cli::exit_code = 1;
  });
});
}  // namespace
