// airlock import FILE.gguf --name NAME[:TAG] [--validate]
// airlock import --from-store DIR NAME... [--name NEW] [--validate]   (copy out of another model store)
#include <airlock/error.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "cli_audit.h"
#include "command.h"
#include "store/progress.h"
#include "store_cli.h"
#include "validate_model.h"

namespace {
struct Options {
  std::vector<std::string> args;
  std::string name;
  std::string from_store;
  bool validate = false;
};

airlock::cli::Registrar reg("import", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("import", "Import a GGUF file, or models from another model store");
  cmd->add_option("args", o->args, "FILE.gguf, or with --from-store the model names to copy")->required();
  cmd->add_option("--name,-n", o->name, "NAME[:TAG] to store it under (default tag: latest)");
  cmd->add_option("--from-store", o->from_store, "a model store folder (same layout) to copy models from");
  cmd->add_flag("--validate", o->validate,
                "Load the model and generate a few tokens (embedding models: embed a sentence) before switching the tag");
  cmd->callback([o] {
    using namespace airlock;
    store::Store s = cli::open_store();
    const store::ValidateHook validate = o->validate ? cli::engine_validator() : nullptr;
    if (!o->from_store.empty()) {
      store::Store other(o->from_store);
      if (!o->name.empty() && o->args.size() != 1) throw Error("import: --name needs exactly one model");
      for (const auto& n : o->args) {
        store::ProgressPrinter p("copying " + n);
        std::string dst = o->name.empty() ? n : o->name;
        std::string d = s.import_from_store(other, n, dst, {"store " + o->from_store, p.fn(), validate});
        cli::audit_admin("import", {{"model", dst}, {"from_store", o->from_store}, {"digest", d}});
        std::printf("imported %s %s\n", store::ModelRef::parse(dst).display().c_str(), d.c_str());
      }
      return;
    }
    if (o->args.size() != 1) throw Error("import: give exactly one GGUF file");
    if (o->name.empty()) throw Error("import: --name NAME[:TAG] is required");
    std::string d;
    {
      store::ProgressPrinter p("importing " + o->args[0]);
      d = s.import_gguf(o->args[0], o->name, {"import " + o->args[0], p.fn(), validate});
    }
    cli::audit_admin("import", {{"model", o->name}, {"file", o->args[0]}, {"digest", d}});
    std::printf("imported %s %s\n", store::ModelRef::parse(o->name).display().c_str(), d.c_str());
  });
});
}  // namespace
