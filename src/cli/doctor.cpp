// airlock doctor [--json] [--approved FILE]: a report for compliance records — version and build
// id (SHA-256 of this executable), the store and every model with its manifest digest and where
// its current version came from, the approved-list check, the listening address, the TLS, key,
// audit, read-only and lock-down settings (as `serve` would take them), and a live egress
// self-test run in a locked child process.
#include <airlock/error.h>
#include <airlock/version.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "audit/verify.h"
#include "cli_audit.h"
#include "command.h"
#include "lockdown/lockdown.h"
#include "lockdown/network_paths.h"
#include "server/api_keys.h"
#include "store/approved_list.h"
#include "store/digest.h"
#include "store/store.h"

namespace {

using ojson = nlohmann::ordered_json;

struct Options {
  bool json = false;
  std::string approved;
};

ojson models_report(const airlock::store::Store& st, const std::string& approved_file) {
  using namespace airlock;
  ojson models = ojson::array();
  std::vector<std::pair<std::string, std::string>> approved;
  if (!approved_file.empty()) {
    std::ifstream in(approved_file);
    if (!in) throw Error("doctor: cannot read " + approved_file);
    approved = store::parse_approved_list(std::string((std::istreambuf_iterator<char>(in)), {}), approved_file);
  }
  auto hex = [](const std::string& d) { return d.substr(d.find(':') + 1); };
  for (const auto& m : st.list()) {
    ojson e = {{"name", m.ref.display()}, {"digest", m.digest}, {"size", m.size}};
    if (!m.error.empty()) e["error"] = m.error;
    try {
      const auto h = st.history(m.ref.display());
      if (!h.empty()) e["source"] = h.back().source;  // "bundle FILE", "import FILE", ...
    } catch (const Error&) {
      e["source"] = nullptr;
    }
    if (!approved_file.empty()) {
      std::string verdict = "not on the approved list";
      for (const auto& [name, digest] : approved)
        if (store::ModelRef::parse(name).display() == m.ref.display())
          verdict = hex(digest) == hex(m.digest) ? "approved" : "DIGEST DIFFERS from the approved list";
      e["approved"] = verdict;
    }
    models.push_back(e);
  }
  return models;
}

std::string build_id() {
  try {
    const std::string d = airlock::store::sha256_of_file("/proc/self/exe");
    return d.substr(d.find(':') + 1, 16);
  } catch (const std::exception&) {
    return "unknown";
  }
}

void print_text(const ojson& r) {
  std::printf("airlock %s (build %s)\n", r["version"].get<std::string>().c_str(), r["build_id"].get<std::string>().c_str());
  std::printf("store: %s\n", r["store"]["path"].get<std::string>().c_str());
  for (const auto& m : r["store"]["models"]) {
    std::printf("  %-32s %s", m["name"].get<std::string>().c_str(), m["digest"].get<std::string>().c_str());
    if (m.contains("source") && m["source"].is_string()) std::printf("  from: %s", m["source"].get<std::string>().c_str());
    if (m.contains("approved")) std::printf("  [%s]", m["approved"].get<std::string>().c_str());
    std::printf("\n");
  }
  for (const char* k : {"listen", "tls", "keys", "audit", "read_only", "lockdown", "network_file_systems"})
    std::printf("%s: %s\n", k, r[k].dump().c_str());
  const auto& e = r["egress_self_test"];
  std::printf("egress self-test (locked child process): %s — %s\n", e["refused"].get<bool>() ? "REFUSED (EPERM)" : "NOT REFUSED",
              e["detail"].get<std::string>().c_str());
}

airlock::cli::Registrar reg("doctor", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("doctor", "Report version, models, security settings and a live egress self-test");
  cmd->add_flag("--json", o->json, "print the report as JSON");
  cmd->add_option("--approved", o->approved, "approved model list to check the store against (NAME DIGEST per line)");
  cmd->callback([o] {
    using namespace airlock;
    server::ServerConfig c = cli::audit_settings();
    server::default_models_dir(c);
    const store::Store st(c.models_dir);
    ojson r = {{"version", AIRLOCK_VERSION}, {"build_id", build_id()}};
    r["store"] = {{"path", c.models_dir.string()}, {"models", models_report(st, o->approved)}};
    r["listen"] = c.host + ":" + std::to_string(c.port);
    r["tls"] = c.tls_cert.empty() ? ojson("off") : ojson{{"cert", c.tls_cert.string()}, {"key", c.tls_key.string()}};
    ojson scoped = ojson::array();
    for (const auto& k : server::read_keys_file(c.keys_path())) scoped.push_back({{"name", k.name}, {"scope", server::scope_name(k.scope)}});
    r["keys"] = {{"keys_file", c.keys_path().string()}, {"scoped", scoped}, {"plain_api_key_file", c.api_keys.size()},
                 {"auth", !scoped.empty() || !c.api_keys.empty() ? "required" : (c.loopback() ? "off (loopback only)" : "off")}};
    if (c.audit_dir.empty()) {
      r["audit"] = "off";
    } else {
      const audit::VerifyReport v = audit::verify(c.audit_dir);
      r["audit"] = {{"dir", c.audit_dir.string()}, {"content", c.audit_content}, {"required", c.audit_required},
                    {"fsync_ms", c.audit_fsync_ms}, {"retention_days", c.audit_retention_days},
                    {"signed", !c.audit_sign_key.empty()}, {"chain", v.ok ? "intact" : "BAD: " + v.first_bad},
                    {"records", v.records}};
    }
    r["read_only"] = c.read_only;
    r["lockdown"] = c.lockdown;
    ojson nfs = ojson::object();
    for (const auto& [k, p] : std::vector<std::pair<std::string, std::filesystem::path>>{{"models", c.models_dir}, {"audit", c.audit_dir}})
      if (!p.empty()) nfs[k] = lockdown::network_fs_type(p).empty() ? "local" : lockdown::network_fs_type(p);
    r["network_file_systems"] = nfs;
    const lockdown::Probe p = lockdown::probe_in_locked_child();
    r["egress_self_test"] = {{"refused", p.refused}, {"detail", p.detail}};
    if (o->json) std::printf("%s\n", r.dump(2).c_str());
    else print_text(r);
    if (!p.refused) cli::exit_code = 1;
  });
});

}  // namespace
