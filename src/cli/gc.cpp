// airlock gc [--apply]: unreferenced blobs and leftovers of interrupted writes; dry run by default.
#include <cstdio>
#include <memory>

#include "command.h"
#include "store_cli.h"

namespace {
airlock::cli::Registrar reg("gc", [](CLI::App& app) {
  auto apply = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("gc", "Remove blobs no model (or its history) references; dry run unless --apply");
  cmd->add_flag("--apply", *apply, "really delete");
  cmd->callback([apply] {
    using namespace airlock;
    auto r = cli::open_store().gc(!*apply);
    const char* verb = *apply ? "removed" : "would remove";
    for (const auto& d : r.blobs) std::printf("%s %s\n", verb, d.c_str());
    for (const auto& p : r.temp_files) std::printf("%s %s (interrupted write)\n", verb, p.c_str());
    for (const auto& d : r.in_use) std::printf("kept %s (unreferenced, but a running server has it loaded)\n", d.c_str());
    std::printf("%s %zu blobs, %s, and %zu temp files%s\n", verb, r.blobs.size(), cli::human_bytes(r.bytes).c_str(),
                r.temp_files.size(), *apply ? "" : " (dry run; --apply to delete)");
  });
});
}  // namespace
