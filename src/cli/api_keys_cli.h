// airlock keys add NAME --scope inference|admin | keys ls | keys revoke NAME: the server's API
// keys, beside the bundle signing key subcommands of `airlock keys` (keys.cpp).
#pragma once
#include <CLI/CLI.hpp>

namespace airlock::cli {
void add_api_key_commands(CLI::App* keys);
}
