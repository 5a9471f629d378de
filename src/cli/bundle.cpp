// airlock bundle export NAME... -o FILE [--sign KEY] [--encrypt-to PUB] | bundle verify FILE [--key KEY] |
// bundle import FILE [--validate] [--key KEY]
#include <airlock/error.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli_audit.h"
#include "command.h"
#include "store/bundle.h"
#include "store/durable_file.h"
#include "store/progress.h"
#include "store/sealed_file.h"
#include "store_cli.h"
#include "validate_model.h"

namespace {
struct Options {
  std::vector<std::string> names;
  std::string out, sign, file, encrypt_to, key;
  bool validate = false;
};

// Names the key, and whether this store trusts it: an export signed with an untrusted key is
// worth saying so before the bundle travels.
std::string signature_text(const airlock::store::BundleInfo& info) {
  switch (info.signature) {
    case airlock::store::SignatureState::Trusted: return "signed by key " + info.key_id + ", which this store trusts";
    case airlock::store::SignatureState::Untrusted:
      return "signed by key " + info.key_id + ", which this store does not trust";
    case airlock::store::SignatureState::Unsigned: break;
  }
  return "unsigned";
}

std::string encryption_text(const airlock::store::BundleInfo& info) {
  return info.encrypted_to.empty() ? "not encrypted" : "encrypted to key " + info.encrypted_to;
}

// The secret key that opens `file` when it is encrypted: --key, else the store's site.key. Read only
// for an encrypted bundle, so a plain bundle imports as before whatever site.key holds.
std::optional<airlock::store::SecretKey> decryption_key(const std::string& file, const std::string& flag,
                                                        const airlock::store::Store& s) {
  using namespace airlock::store;
  if (!sealed_recipient(file)) return std::nullopt;
  const std::filesystem::path path = flag.empty() ? s.site_key_path() : std::filesystem::path(flag);
  if (flag.empty() && !std::filesystem::exists(path)) return std::nullopt;  // the reader names the key needed
  return SecretKey::parse(read_small_file(path, 4096), path.string());
}

void print_models(const airlock::store::BundleInfo& info) {
  for (const auto& m : info.models)
    std::printf("  %s %s %s\n", m.name.c_str(), m.digest.c_str(), airlock::cli::human_bytes(m.size).c_str());
}

airlock::cli::Registrar reg("bundle", [](CLI::App& app) {
  using namespace airlock;
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("bundle", "Move models to and from air-gapped machines as one tar file");
  cmd->require_subcommand(1);

  auto* exp = cmd->add_subcommand("export", "Write models into a bundle");
  exp->add_option("names", o->names, "NAME[:TAG]...")->required();
  exp->add_option("--output,-o", o->out, "bundle file")->required();
  exp->add_option("--sign", o->sign, "secret key file to sign the index with");
  exp->add_option("--encrypt-to", o->encrypt_to,
                  "public key file (the receiving site's PREFIX.pub): encrypt the bundle so only that key's secret opens it");
  exp->callback([o] {
    auto s = cli::open_store();
    std::optional<store::SecretKey> key;
    if (!o->sign.empty()) key = store::SecretKey::parse(store::read_small_file(o->sign, 4096), o->sign);
    std::optional<store::PublicKey> recipient;
    if (!o->encrypt_to.empty())
      recipient = store::PublicKey::parse(store::read_small_file(o->encrypt_to, 4096), o->encrypt_to);
    store::BundleInfo info;
    {
      store::ProgressPrinter p("exporting");
      info = store::export_bundle(s, o->names, o->out, key ? &*key : nullptr, p.fn(), recipient ? &*recipient : nullptr);
    }
    std::printf("wrote %s: %zu models, %s, %s, %s\n", o->out.c_str(), info.models.size(),
                cli::human_bytes(info.bytes).c_str(), signature_text(info).c_str(), encryption_text(info).c_str());
    print_models(info);
  });

  auto* ver = cmd->add_subcommand("verify", "Check every hash and the signature without installing");
  ver->add_option("file", o->file, "bundle file")->required();
  ver->add_option("--key", o->key, "secret key that opens an encrypted bundle (default: the store's site.key)");
  ver->callback([o] {
    auto s = cli::open_store();
    const auto key = decryption_key(o->file, o->key, s);
    store::BundleInfo info;
    {
      store::ProgressPrinter p("verifying");
      info = store::verify_bundle(o->file, store::trusted_keys(s.trusted_keys_dir()), p.fn(), key ? &*key : nullptr);
    }
    std::printf("%s: every hash matches; %s; %s; created %s UTC by airlock %s\n", o->file.c_str(),
                signature_text(info).c_str(), encryption_text(info).c_str(), cli::utc_time(info.created).c_str(),
                info.airlock_version.c_str());
    print_models(info);
    if (info.signature != store::SignatureState::Trusted && s.config().require_signatures) {
      std::printf("this store requires signatures from a trusted key: import would be refused\n");
      cli::exit_code = 1;
    }
  });

  auto* imp = cmd->add_subcommand("import", "Verify a bundle, then install its models");
  imp->add_option("file", o->file, "bundle file")->required();
  imp->add_flag("--validate", o->validate,
                "Load each model and generate a few tokens (embedding models: embed a sentence) before switching its tag");
  imp->add_option("--key", o->key, "secret key that opens an encrypted bundle (default: the store's site.key)");
  imp->callback([o] {
    auto s = cli::open_store();
    const auto key = decryption_key(o->file, o->key, s);
    store::BundleInfo info;
    {
      store::ProgressPrinter p("importing");
      info = store::import_bundle(s, o->file, {"", p.fn(), o->validate ? cli::engine_validator() : nullptr},
                                  key ? &*key : nullptr);
    }
    nlohmann::ordered_json models = nlohmann::ordered_json::array();
    for (const auto& m : info.models) models.push_back({{"model", m.name}, {"digest", m.digest}});
    cli::audit_admin("bundle_import", {{"file", o->file},
                                       {"signature", signature_text(info)},
                                       {"encryption", encryption_text(info)},
                                       {"models", models}});
    std::printf("imported %s (%s, %s)\n", o->file.c_str(), signature_text(info).c_str(), encryption_text(info).c_str());
    print_models(info);
  });
});
}  // namespace
