// airlock cp SRC DST: another name for the same model (shares its blobs).
#include <cstdio>
#include <memory>

#include "cli_audit.h"
#include "command.h"
#include "store_cli.h"

namespace {
struct Options {
  std::string src, dst;
};

airlock::cli::Registrar reg("cp", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("cp", "Copy a model to another name");
  cmd->add_option("src", o->src, "SOURCE[:TAG]")->required();
  cmd->add_option("dst", o->dst, "DESTINATION[:TAG]")->required();
  cmd->callback([o] {
    using namespace airlock;
    std::string d = cli::open_store().copy(o->src, o->dst);
    cli::audit_admin("cp", {{"from", o->src}, {"to", o->dst}, {"digest", d}});
    std::printf("copied %s to %s %s\n", o->src.c_str(), store::ModelRef::parse(o->dst).display().c_str(), d.c_str());
  });
});
}  // namespace
