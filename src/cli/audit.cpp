// airlock audit verify [DIR] [--key PUB]... | audit search [DIR] [filters] | audit export [DIR]
// [filters] [--format jsonl|csv] [-o FILE]. DIR defaults to the configured `audit` folder.
#include <airlock/error.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "audit/query.h"
#include "audit/verify.h"
#include "cli_audit.h"
#include "command.h"
#include "store/durable_file.h"

namespace {

struct Options {
  std::string dir, format = "jsonl", output;
  std::vector<std::string> keys;
  airlock::audit::Filter filter;
};

std::filesystem::path folder(const Options& o) {
  if (!o.dir.empty()) return o.dir;
  const auto c = airlock::cli::audit_settings();
  if (c.audit_dir.empty()) throw airlock::Error("audit: give the audit folder (no `audit` setting in the config or AIRLOCK_AUDIT)");
  return c.audit_dir;
}

void add_filters(CLI::App* cmd, Options& o) {
  cmd->add_option("dir", o.dir, "audit folder (default: the configured `audit` folder)");
  cmd->add_option("--since", o.filter.since, "records at or after this UTC time (2026-12-06 or 2026-12-06T08:00)");
  cmd->add_option("--until", o.filter.until, "records at or before this UTC time (a prefix matches the whole of it)");
  cmd->add_option("--key", o.filter.key, "records of this API key name");
  cmd->add_option("--model", o.filter.model, "records about this model");
  cmd->add_option("--text", o.filter.text, "records containing this text (prompt, answer, route, ...)");
  cmd->add_option("--type", o.filter.type, "request, admin, server_start, retention, ...");
}

airlock::cli::Registrar reg("audit", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("audit", "Check and read the audit trail");
  cmd->require_subcommand(1);
  auto* ver = cmd->add_subcommand("verify", "Check the hash chain, segments and signatures; name the first bad record");
  ver->add_option("dir", o->dir, "audit folder (default: the configured `audit` folder)");
  ver->add_option("--key", o->keys, "public key file (airlock keys generate) whose segment signatures to check");
  ver->callback([o] {
    using namespace airlock;
    std::vector<store::PublicKey> keys;
    for (const auto& k : o->keys) {
      std::ifstream in(k);
      if (!in) throw Error("audit verify: cannot read " + k);
      keys.push_back(store::PublicKey::parse(std::string((std::istreambuf_iterator<char>(in)), {}), k));
    }
    const audit::VerifyReport r = audit::verify(folder(*o), keys);
    for (const auto& n : r.notes) std::printf("note: %s\n", n.c_str());
    if (!r.ok) {
      std::printf("BAD: %s\n", r.first_bad.c_str());
      cli::exit_code = 1;
      return;
    }
    std::printf("ok: %llu records in %zu segment(s), chain intact, %llu signature(s) checked\n",
                static_cast<unsigned long long>(r.records), r.segments, static_cast<unsigned long long>(r.signatures_checked));
  });
  auto* search = cmd->add_subcommand("search", "Print the records (JSONL) a filter selects");
  add_filters(search, *o);
  search->callback([o] { airlock::audit::write_records(folder(*o), o->filter, airlock::audit::Format::Jsonl, stdout); });
  auto* exp = cmd->add_subcommand("export", "Write the records a filter selects as JSONL or CSV");
  add_filters(exp, *o);
  exp->add_option("--format", o->format, "jsonl (default) or csv");
  exp->add_option("--output,-o", o->output, "file to write (atomically; default: standard output)");
  exp->callback([o] {
    using namespace airlock;
    const audit::Format f = audit::parse_format(o->format);
    if (o->output.empty()) {
      audit::write_records(folder(*o), o->filter, f, stdout);
      return;
    }
    char* buf = nullptr;
    size_t len = 0;
    std::FILE* mem = open_memstream(&buf, &len);
    const size_t n = audit::write_records(folder(*o), o->filter, f, mem);
    std::fclose(mem);
    const std::string text(buf, len);
    std::free(buf);
    store::write_file_atomic(o->output, text);
    std::fprintf(stderr, "exported %zu record(s) to %s\n", n, o->output.c_str());
  });
});

}  // namespace
