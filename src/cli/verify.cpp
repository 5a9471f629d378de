// airlock verify [NAME] [--manifest APPROVED]: rehash blobs; audit against an approved list.
#include <cstdio>
#include <memory>

#include "command.h"
#include "store/approved_list.h"
#include "store/durable_file.h"
#include "store_cli.h"

namespace {
struct Options {
  std::string name;
  std::string approved;
};

airlock::cli::Registrar reg("verify", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("verify", "Rehash the blobs of one or all models; report corrupt or missing ones");
  cmd->add_option("name", o->name, "NAME[:TAG] (default: every model)");
  cmd->add_option("--manifest", o->approved,
                  "approved list, one 'NAME DIGEST' per line: checks each model is there at that digest");
  cmd->callback([o] {
    using namespace airlock;
    auto s = cli::open_store();
    store::VerifyReport r;
    if (!o->approved.empty()) {
      r = s.verify_approved(store::parse_approved_list(store::read_small_file(o->approved), o->approved));
    } else {
      r = s.verify(o->name.empty() ? std::nullopt : std::optional<std::string>(o->name));
    }
    for (const auto& p : r.problems)
      std::printf("%s: %s%s%s\n", p.model.c_str(), p.digest.c_str(), p.digest.empty() ? "" : ": ", p.problem.c_str());
    std::printf("%zu models, %zu blobs checked: %s\n", r.models, r.blobs,
                r.ok() ? "all good" : (std::to_string(r.problems.size()) + " problems").c_str());
    if (!r.ok()) cli::exit_code = 1;
  });
});
}  // namespace
