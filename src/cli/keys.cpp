// airlock keys generate [-o PREFIX | --site] | keys trust PUBFILE | keys list (bundle signing keys), and
// keys add NAME --scope S | keys ls | keys revoke NAME (API keys, api_keys_cli.cpp)
#include <airlock/error.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "api_keys_cli.h"
#include "cli_audit.h"
#include "command.h"
#include "store/durable_file.h"
#include "store/signing.h"
#include "store_cli.h"

namespace {
struct Options {
  std::string prefix = "airlock";
  std::string pubfile;
  bool site = false;
};

airlock::cli::Registrar reg("keys", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "keys", "Bundle signing keys (generate, trust, list) and the server's API keys (add, ls, revoke)");
  cmd->require_subcommand(1);
  auto* gen = cmd->add_subcommand("generate", "Make a key pair: PREFIX.key (secret) and PREFIX.pub");
  auto* prefix = gen->add_option("--output,-o", o->prefix, "file name prefix (default: airlock)");
  gen->add_flag("--site", o->site,
                "Make the store's site key (STORE/site.key, site.pub): bundles encrypted to site.pub then "
                "import without --key")
      ->excludes(prefix);
  gen->callback([o] {
    using namespace airlock;
    std::filesystem::path sec = o->prefix + ".key", pub = o->prefix + ".pub";
    if (o->site) {
      auto s = cli::open_store();
      sec = s.site_key_path();
      pub = std::filesystem::path(sec).replace_extension(".pub");
    }
    if (std::filesystem::exists(sec)) throw Error("keys generate: " + sec.string() + " exists; not overwriting");
    auto k = store::generate_key();
    // Created 0600 rather than chmod-ed after: the secret is never readable by others, even briefly.
    const mode_t old_mask = ::umask(077);
    try {
      store::write_file_atomic(sec, k.text());
    } catch (...) {
      ::umask(old_mask);
      throw;
    }
    ::umask(old_mask);
    store::write_file_atomic(pub, k.public_key().text());
    if (o->site) cli::audit_admin("keys_site_generate", {{"key_id", k.key_id}});
    std::printf("key %s: secret %s, public %s\n", k.key_id.c_str(), sec.c_str(), pub.c_str());
  });
  auto* trust = cmd->add_subcommand("trust", "Trust a public key for bundle imports into this store");
  trust->add_option("pubfile", o->pubfile, "PREFIX.pub")->required();
  trust->callback([o] {
    using namespace airlock;
    auto k = store::PublicKey::parse(store::read_small_file(o->pubfile, 4096), o->pubfile);
    auto s = cli::open_store();
    store::trust_key(s.trusted_keys_dir(), k);
    cli::audit_admin("keys_trust", {{"key_id", k.key_id}});
    std::printf("trusted key %s\n", k.key_id.c_str());
  });
  auto* list = cmd->add_subcommand("list", "List trusted bundle signing keys (API keys: keys ls)");
  list->callback([] {
    using namespace airlock;
    for (const auto& k : store::trusted_keys(cli::open_store().trusted_keys_dir()))
      std::printf("%s\n", k.key_id.c_str());
  });
  airlock::cli::add_api_key_commands(cmd);
});
}  // namespace
