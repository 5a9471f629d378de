// airlock list: the models in the store.
#include <cstdio>

#include "command.h"
#include "store_cli.h"

namespace {
airlock::cli::Registrar reg("list", [](CLI::App& app) {
  auto* cmd = app.add_subcommand("list", "List the models in the store");
  cmd->alias("ls");
  cmd->callback([] {
    using namespace airlock;
    auto models = cli::open_store().list();
    std::printf("%-32s %-12s %-9s %-19s %-10s %-7s %s\n", "NAME", "ID", "SIZE", "MODIFIED", "FAMILY",
                "PARAMS", "QUANT");
    for (const auto& m : models) {
      if (!m.error.empty()) {
        std::printf("%-32s DAMAGED: %s\n", m.ref.display().c_str(), m.error.c_str());
        continue;
      }
      std::printf("%-32s %-12s %-9s %-19s %-10s %-7s %s\n", m.ref.display().c_str(),
                  cli::short_digest(m.digest).c_str(), cli::human_bytes(m.size).c_str(),
                  cli::utc_time(m.modified).c_str(), m.details.family.c_str(), m.details.parameter_size.c_str(),
                  m.details.quantization_level.c_str());
    }
  });
});
}  // namespace
