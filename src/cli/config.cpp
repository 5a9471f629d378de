// airlock config [require-signatures true|false]
#include <airlock/error.h>

#include <cstdio>
#include <memory>

#include "command.h"
#include "store_cli.h"

namespace {
struct Options {
  std::string key, value;
};

airlock::cli::Registrar reg("config", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("config", "Show or set store settings (require-signatures true|false)");
  cmd->add_option("key", o->key, "setting");
  cmd->add_option("value", o->value, "new value");
  cmd->callback([o] {
    using namespace airlock;
    auto s = cli::open_store();
    auto c = s.config();
    if (o->key.empty()) {
      std::printf("require-signatures %s\n", c.require_signatures ? "true" : "false");
      return;
    }
    if (o->key != "require-signatures") throw Error("config: unknown setting '" + o->key + "'");
    if (o->value.empty()) {
      std::printf("%s\n", c.require_signatures ? "true" : "false");
      return;
    }
    if (o->value != "true" && o->value != "false")
      throw Error("config: require-signatures must be true or false, not '" + o->value + "'");
    c.require_signatures = o->value == "true";
    s.set_config(c);
  });
});
}  // namespace
