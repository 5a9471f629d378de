// Each CLI command lives in its own file and registers itself with a static Registrar, so adding a
// command never means editing a central list.
#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace airlock::cli {

// Adds one subcommand to the application; the subcommand's callback does the work and may set
// exit_code (default 0) or throw airlock::Error for a clean one-line failure.
using CommandSetup = std::function<void(CLI::App& app)>;

struct Registrar {
  Registrar(std::string name, CommandSetup setup);
};

extern int exit_code;

}  // namespace airlock::cli
