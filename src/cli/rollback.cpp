// airlock rollback NAME [--to DIGEST]
#include <cstdio>
#include <memory>
#include <optional>

#include "cli_audit.h"
#include "command.h"
#include "store_cli.h"

namespace {
struct Options {
  std::string name, to;
};

airlock::cli::Registrar reg("rollback", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("rollback", "Point a model name back at an earlier version");
  cmd->add_option("name", o->name, "NAME[:TAG]")->required();
  cmd->add_option("--to", o->to, "manifest digest (or hex prefix, 6+ digits) from `airlock history`");
  cmd->callback([o] {
    using namespace airlock;
    std::string d = cli::open_store().rollback(o->name, o->to.empty() ? std::nullopt : std::optional(o->to));
    cli::audit_admin("rollback", {{"model", o->name}, {"digest", d}});
    std::printf("%s now at %s\n", store::ModelRef::parse(o->name).display().c_str(), d.c_str());
  });
});
}  // namespace
