// airlock bundle export NAME... -o FILE [--sign KEY] | bundle verify FILE | bundle import FILE [--validate]
#include <airlock/error.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli_audit.h"
#include "command.h"
#include "store/bundle.h"
#include "store/durable_file.h"
#include "store/progress.h"
#include "store_cli.h"
#include "validate_model.h"

namespace {
struct Options {
  std::vector<std::string> names;
  std::string out, sign, file;
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
  exp->callback([o] {
    auto s = cli::open_store();
    std::optional<store::SecretKey> key;
    if (!o->sign.empty()) key = store::SecretKey::parse(store::read_small_file(o->sign, 4096), o->sign);
    store::BundleInfo info;
    {
      store::ProgressPrinter p("exporting");
      info = store::export_bundle(s, o->names, o->out, key ? &*key : nullptr, p.fn());
    }
    std::printf("wrote %s: %zu models, %s, %s\n", o->out.c_str(), info.models.size(),
                cli::human_bytes(info.bytes).c_str(), signature_text(info).c_str());
    print_models(info);
  });

  auto* ver = cmd->add_subcommand("verify", "Check every hash and the signature without installing");
  ver->add_option("file", o->file, "bundle file")->required();
  ver->callback([o] {
    auto s = cli::open_store();
    store::BundleInfo info;
    {
      store::ProgressPrinter p("verifying");
      info = store::verify_bundle(o->file, store::trusted_keys(s.trusted_keys_dir()), p.fn());
    }
    std::printf("%s: every hash matches; %s; created %s UTC by airlock %s\n", o->file.c_str(),
                signature_text(info).c_str(), cli::utc_time(info.created).c_str(), info.airlock_version.c_str());
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
  imp->callback([o] {
    auto s = cli::open_store();
    store::BundleInfo info;
    {
      store::ProgressPrinter p("importing");
      info = store::import_bundle(s, o->file, {"", p.fn(), o->validate ? cli::engine_validator() : nullptr});
    }
    nlohmann::ordered_json models = nlohmann::ordered_json::array();
    for (const auto& m : info.models) models.push_back({{"model", m.name}, {"digest", m.digest}});
    cli::audit_admin("bundle_import", {{"file", o->file}, {"signature", signature_text(info)}, {"models", models}});
    std::printf("imported %s (%s)\n", o->file.c_str(), signature_text(info).c_str());
    print_models(info);
  });
});
}  // namespace
