#include <airlock/version.h>

#include <cstdio>

#include "command.h"

namespace {
airlock::cli::Registrar reg("version", [](CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print the airlock version");
  cmd->callback([] { std::printf("airlock %s\n", AIRLOCK_VERSION); });
});
}  // namespace
