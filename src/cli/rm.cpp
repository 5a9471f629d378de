// airlock rm NAME...: removes tags; blobs stay until `airlock gc --apply`.
#include <cstdio>
#include <memory>
#include <vector>

#include "cli_audit.h"
#include "command.h"
#include "store_cli.h"

namespace {
airlock::cli::Registrar reg("rm", [](CLI::App& app) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("rm", "Remove models (their blobs are freed by gc)");
  cmd->add_option("names", *names, "NAME[:TAG]...")->required();
  cmd->callback([names] {
    auto s = airlock::cli::open_store();
    for (const auto& n : *names) {
      s.remove(n);
      airlock::cli::audit_admin("rm", {{"model", n}});
      std::printf("removed %s\n", n.c_str());
    }
  });
});
}  // namespace
