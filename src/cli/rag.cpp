// `airlock rag ...`: document collections for retrieval-augmented answers (the subcommands live
// in rag_*.cpp and attach themselves here).
#include "command.h"

namespace {
airlock::cli::Registrar reg("rag", [](CLI::App& app) {
  auto* cmd = app.add_subcommand("rag", "Document collections: ingest files, search them, answer from them");
  cmd->require_subcommand(1);
});
}  // namespace
