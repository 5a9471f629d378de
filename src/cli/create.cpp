// airlock create NAME -f Modelfile
#include <airlock/error.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "command.h"
#include "store/durable_file.h"
#include "store/progress.h"
#include "store_cli.h"

namespace {
struct Options {
  std::string name;
  std::string modelfile = "Modelfile";
  std::string quantize;
};

airlock::cli::Registrar reg("create", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("create", "Create a model from a Modelfile");
  cmd->add_option("name", o->name, "NAME[:TAG]")->required();
  cmd->add_option("--file,-f", o->modelfile, "the Modelfile (default ./Modelfile)");
  cmd->add_option("--quantize,-q", o->quantize, "quantise an F16/F32 model (not available yet)");
  cmd->callback([o] {
    using namespace airlock;
    if (!o->quantize.empty())
      throw Error("create: --quantize is not available yet (the quantizers are not in this build)");
    std::filesystem::path mf_path = o->modelfile;
    auto mf = store::Modelfile::parse(store::read_small_file(mf_path, 1 << 20), mf_path.string());
    store::Store s = cli::open_store();
    std::string d;
    {
      store::ProgressPrinter p("creating " + o->name);
      d = s.create(o->name, mf, std::filesystem::absolute(mf_path).parent_path(),
                   {"create -f " + mf_path.string(), p.fn(), nullptr});
    }
    std::printf("created %s %s\n", store::ModelRef::parse(o->name).display().c_str(), d.c_str());
  });
});
}  // namespace
