#include <airlock/error.h>
#include <airlock/version.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <vector>

#include "command.h"

namespace airlock::cli {

int exit_code = 0;

namespace {
struct Entry {
  std::string name;
  CommandSetup setup;
};
std::vector<Entry>& registry() {
  static std::vector<Entry> r;
  return r;
}
}  // namespace

Registrar::Registrar(std::string name, CommandSetup setup) {
  registry().push_back({std::move(name), std::move(setup)});
}

}  // namespace airlock::cli

int main(int argc, char** argv) {
  using namespace airlock::cli;
  CLI::App app{"airlock: offline inference server for GGUF language and embedding models"};
  app.set_version_flag("--version", std::string("airlock ") + AIRLOCK_VERSION);
  app.require_subcommand(1);
  auto& commands = registry();
  std::sort(commands.begin(), commands.end(), [](auto& a, auto& b) { return a.name < b.name; });
  for (auto& c : commands) c.setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const airlock::Error& e) {
    std::fprintf(stderr, "airlock: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "airlock: error: %s\n", e.what());
    return 1;
  }
  return exit_code;
}
