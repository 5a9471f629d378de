// airlock show NAME [--modelfile|--parameters|--template|--system|--license]
#include <cstdio>
#include <memory>

#include "command.h"
#include "store_cli.h"

namespace {
struct Options {
  std::string name;
  bool modelfile = false, parameters = false, template_ = false, system = false, license = false;
};

void print_text(const std::optional<std::string>& s) {
  if (s) std::printf("%s\n", s->c_str());
}

airlock::cli::Registrar reg("show", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("show", "Show a model's details, Modelfile, parameters, template or license");
  cmd->add_option("name", o->name, "NAME[:TAG]")->required();
  auto* g = cmd->add_option_group("part")->require_option(0, 1);
  g->add_flag("--modelfile", o->modelfile, "the Modelfile that recreates it");
  g->add_flag("--parameters", o->parameters, "the parameters");
  g->add_flag("--template", o->template_, "the prompt template");
  g->add_flag("--system", o->system, "the system prompt");
  g->add_flag("--license", o->license, "the license");
  cmd->callback([o] {
    using namespace airlock;
    auto m = cli::open_store().resolve(o->name);
    if (o->template_) return print_text(m.template_text);
    if (o->system) return print_text(m.system);
    if (o->license) return print_text(m.license);
    if (o->parameters) {
      for (const auto& [k, v] : m.parameters.items()) {
        if (v.is_array())
          for (const auto& x : v) std::printf("%-20s %s\n", k.c_str(), x.dump().c_str());
        else
          std::printf("%-20s %s\n", k.c_str(), v.dump().c_str());
      }
      return;
    }
    if (o->modelfile) {
      std::printf("# Modelfile of %s\n%s", m.ref.display().c_str(), m.modelfile().render().c_str());
      return;
    }
    std::printf("  name            %s\n", m.ref.display().c_str());
    std::printf("  digest          %s\n", m.digest.c_str());
    std::printf("  architecture    %s\n", m.details.family.c_str());
    std::printf("  parameters      %s\n", m.details.parameter_size.c_str());
    std::printf("  quantization    %s\n", m.details.quantization_level.c_str());
    std::printf("  size            %s\n", cli::human_bytes(m.manifest.total_size()).c_str());
    std::printf("  model blob      %s\n", m.model_path.c_str());
    if (m.system) std::printf("  system          %zu bytes\n", m.system->size());
    if (m.template_text) std::printf("  template        %zu bytes\n", m.template_text->size());
    if (!m.parameters.empty()) std::printf("  parameters set  %s\n", m.parameters.dump().c_str());
  });
});
}  // namespace
