// airlock history NAME: every version the tag pointed to.
#include <cstdio>
#include <memory>

#include "command.h"
#include "store_cli.h"

namespace {
airlock::cli::Registrar reg("history", [](CLI::App& app) {
  auto name = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("history", "Show the versions a model name has pointed to");
  cmd->add_option("name", *name, "NAME[:TAG]")->required();
  cmd->callback([name] {
    using namespace airlock;
    auto s = cli::open_store();
    auto current = s.manifest_digest(store::ModelRef::parse(*name));
    std::printf("  %-19s %-12s %-7s %s\n", "TIME (UTC)", "ID", "ACTION", "SOURCE");
    for (const auto& e : s.history(*name))
      std::printf("%s %-19s %-12s %-7s %s\n", current && *current == e.digest ? "*" : " ", cli::utc_time(e.time).c_str(),
                  cli::short_digest(e.digest).c_str(), e.action.c_str(), e.source.c_str());
  });
});
}  // namespace
