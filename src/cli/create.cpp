// airlock create NAME -f Modelfile
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli_audit.h"
#include "command.h"
#include "store/durable_file.h"
#include "store/progress.h"
#include "store_cli.h"

namespace {
struct Options {
  std::string name;
  std::string modelfile = "Modelfile";
  std::string quantize;
  std::string imatrix;
};

airlock::cli::Registrar reg("create", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("create", "Create a model from a Modelfile");
  cmd->add_option("name", o->name, "NAME[:TAG]")->required();
  cmd->add_option("--file,-f", o->modelfile, "the Modelfile (default ./Modelfile)");
  cmd->add_option("--quantize,-q", o->quantize, "quantise the F16/F32 FROM model: Q8_0, Q4_K_M, Q5_K_M, Q6_K, ...");
  cmd->add_option("--imatrix", o->imatrix, "importance matrix from llama-imatrix for --quantize");
  cmd->callback([o] {
    using namespace airlock;
    std::filesystem::path mf_path = o->modelfile;
    auto mf = store::Modelfile::parse(store::read_small_file(mf_path, 1 << 20), mf_path.string());
    store::Store s = cli::open_store();
    std::string d;
    {
      store::ProgressPrinter p("creating " + o->name);
      d = s.create(o->name, mf, std::filesystem::absolute(mf_path).parent_path(),
                   {"create -f " + mf_path.string(), p.fn(), nullptr}, o->quantize, o->imatrix);
    }
    cli::audit_admin("create", {{"model", o->name}, {"digest", d}});
    std::printf("created %s %s\n", store::ModelRef::parse(o->name).display().c_str(), d.c_str());
  });
});
}  // namespace
