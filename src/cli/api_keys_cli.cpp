#include "api_keys_cli.h"

#include <airlock/error.h>

#include <cstdio>
#include <memory>

#include "audit/segments.h"
#include "cli_audit.h"
#include "server/api_keys.h"
#include "store/durable_file.h"

namespace airlock::cli {

namespace {

struct Options {
  std::string name, scope = "inference";
};

std::filesystem::path keys_file() {
  server::ServerConfig c = audit_settings();
  server::default_models_dir(c);
  return c.keys_path();
}

void check_name(const std::string& n) {
  if (n.empty() || n.size() > 64 || n.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != std::string::npos)
    throw Error("keys add: the name '" + n + "' must be 1-64 letters, digits, '.', '_' or '-'");
}

}  // namespace

void add_api_key_commands(CLI::App* keys) {
  auto o = std::make_shared<Options>();
  auto* add = keys->add_subcommand("add", "API key: make one named NAME (printed once; only its hash is kept)");
  add->add_option("name", o->name, "key name (shown in the audit trail and the request log)")->required();
  add->add_option("--scope", o->scope, "inference (models can be used, not changed) or admin (everything); default inference");
  add->callback([o] {
    check_name(o->name);
    const server::Scope scope = server::parse_scope(o->scope);
    const auto file = keys_file();
    std::filesystem::create_directories(file.parent_path());
    // The file lock keeps two `keys add` from losing each other's key.
    store::FileLock lock(file.string() + ".lock", store::FileLock::Mode::Exclusive);
    auto all = server::read_keys_file(file);
    for (const auto& k : all)
      if (k.name == o->name) throw Error("keys add: a key named " + o->name + " exists; revoke it first");
    const std::string secret = server::new_key_secret();
    all.push_back({o->name, scope, server::key_hash(secret), audit::utc_time(std::chrono::system_clock::now())});
    server::write_keys_file(file, all);
    audit_admin("keys_add", {{"name", o->name}, {"scope", server::scope_name(scope)}});
    std::fprintf(stderr, "added %s key %s to %s; it is shown only this once:\n", server::scope_name(scope), o->name.c_str(),
                 file.c_str());
    std::printf("%s\n", secret.c_str());
  });
  auto* ls = keys->add_subcommand("ls", "API keys: list names, scopes and creation times (never the keys)");
  ls->callback([] {
    for (const auto& k : server::read_keys_file(keys_file()))
      std::printf("%-24s %-9s %s\n", k.name.c_str(), server::scope_name(k.scope), k.created.c_str());
  });
  auto* revoke = keys->add_subcommand("revoke", "API key: revoke NAME (a running server stops accepting it at once)");
  revoke->add_option("name", o->name, "key name")->required();
  revoke->callback([o] {
    const auto file = keys_file();
    store::FileLock lock(file.string() + ".lock", store::FileLock::Mode::Exclusive);
    auto all = server::read_keys_file(file);
    const auto n = all.size();
    std::erase_if(all, [&](const server::ApiKey& k) { return k.name == o->name; });
    if (all.size() == n) throw Error("keys revoke: no key named " + o->name + " in " + file.string());
    server::write_keys_file(file, all);
    audit_admin("keys_revoke", {{"name", o->name}});
    std::printf("revoked %s\n", o->name.c_str());
  });
}

}  // namespace airlock::cli
