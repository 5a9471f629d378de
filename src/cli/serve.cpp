// airlock serve: the HTTP server (both APIs) on 127.0.0.1:11434 unless told otherwise.
#include <airlock/error.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include "command.h"
#include "lockdown/lockdown.h"
#include "lockdown/network_paths.h"
#include "server/http_server.h"

namespace {

struct ServeArgs {
  std::string host, api_key_file, config;
  std::optional<int> port, parallel, threads;
  std::optional<int64_t> num_ctx, max_body_mb;
  std::optional<std::string> import_dir, rag_root, audit, audit_content, tls_cert, tls_key;
  bool no_rag_strict = false, no_prefix_sharing = false;
  bool no_auth = false, no_demo = false, print_config = false, read_only = false, lockdown = false;
  std::vector<std::string> origins;
};

// Defaults, then the config file, then the environment, then the flags: each overrides the last.
airlock::server::ServerConfig effective_config(const ServeArgs& a) {
  using namespace airlock::server;
  ServerConfig c;
  std::optional<std::filesystem::path> file;
  if (!a.config.empty()) file = a.config;
  else file = default_config_file();
  if (file) {
    apply_config_file(c, *file);
    std::fprintf(stderr, "serve: settings from %s\n", file->string().c_str());
  }
  apply_env(c);
  default_models_dir(c);
  auto flag = [&c](auto& field, const auto& value, const char* key, const char* name) {
    if (!value) return;
    field = *value;
    c.sources[key] = name;
  };
  if (!a.host.empty()) set_host_port(c, a.host, "--host");
  flag(c.port, a.port, "port", "--port");
  flag(c.num_parallel, a.parallel, "num_parallel", "--parallel");
  flag(c.threads, a.threads, "threads", "--threads");
  flag(c.num_ctx, a.num_ctx, "num_ctx", "--num-ctx");
  flag(c.max_body_mb, a.max_body_mb, "max_body_mb", "--max-body-mb");
  flag(c.import_dir, a.import_dir, "import_dir", "--import-dir");
  flag(c.rag_root, a.rag_root, "rag_root", "--rag-root");
  if (a.no_rag_strict) {
    c.rag_strict = false;
    c.sources["rag_strict"] = "--no-rag-strict";
  }
  if (a.no_prefix_sharing) {
    c.prefix_sharing = false;
    c.sources["prefix_sharing"] = "--no-prefix-sharing";
  }
  flag(c.audit_dir, a.audit, "audit", "--audit");
  flag(c.tls_cert, a.tls_cert, "tls_cert", "--tls-cert");
  flag(c.tls_key, a.tls_key, "tls_key", "--tls-key");
  flag(c.audit_content, a.audit_content, "audit_content", "--audit-content");
  if (a.no_auth) {
    c.no_auth = true;
    c.sources["no_auth"] = "--no-auth";
  }
  if (a.read_only) {
    c.read_only = true;
    c.sources["read_only"] = "--read-only";
  }
  if (a.lockdown) {
    c.lockdown = true;
    c.sources["lockdown"] = "--lockdown";
  }
  if (a.no_demo) {
    c.create_demo = false;
    c.sources["create_demo"] = "--no-demo";
  }
  if (!a.api_key_file.empty()) {
    c.api_keys = read_api_keys(a.api_key_file);
    c.sources["api_keys"] = "--api-key-file";
  }
  if (!a.origins.empty()) {
    c.cors_origins = a.origins;
    c.sources["origins"] = "--origin";
  }
  c.validate();
  return c;
}

std::vector<std::pair<std::string, std::filesystem::path>> configured_paths(const airlock::server::ServerConfig& c) {
  return {{"models", c.models_dir},     {"audit", c.audit_dir},       {"import_dir", c.import_dir},
          {"keys_file", c.keys_path()}, {"tls_cert", c.tls_cert},     {"tls_key", c.tls_key},
          {"audit_sign_key", c.audit_sign_key}};
}

void run(const ServeArgs& a) {
  using namespace airlock::server;
  const ServerConfig c = effective_config(a);
  if (a.print_config) {
    std::printf("%s\n", describe(c).dump(2).c_str());
    return;
  }
  if (c.no_auth && !c.loopback())
    std::fprintf(stderr, "serve: WARNING: --no-auth: anyone who can reach %s:%d can use every model\n",
                 c.host.c_str(), c.port);
  if (c.create_demo && !c.read_only && ensure_demo_model(c.models_dir))
    std::fprintf(stderr, "serve: the store %s was empty: created the synthetic model 'demo'\n", c.models_dir.string().c_str());
  if (c.lockdown) airlock::lockdown::refuse_network_paths(configured_paths(c));
  HttpServer server(c);
  const int port = server.bind();
  if (c.lockdown) {
    // After bind (the listening socket exists) and before the first request.
    airlock::lockdown::install();
    const airlock::lockdown::Probe p = airlock::lockdown::probe_egress();
    if (!p.refused) throw airlock::Error("serve: lockdown self-test failed, not serving: " + p.detail);
    std::fprintf(stderr, "serve: lockdown on: egress self-test: %s\n", p.detail.c_str());
  }
  std::fprintf(stderr, "serve: airlock listening on %s://%s:%d (models in %s, %d slots per model)\n",
               c.tls_cert.empty() ? "http" : "https", c.host.c_str(), port, c.models_dir.string().c_str(), c.num_parallel);
  std::signal(SIGPIPE, SIG_IGN);
  // A signal handler may only set flags; a watcher thread does the stopping.
  static volatile std::sig_atomic_t stop_requested = 0;
  auto on_signal = [](int) { stop_requested = 1; };
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  // It watches the flag only: serve() below may not have started listening yet when it first looks.
  std::thread watcher([&server] {
    while (!stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.stop();
  });
  server.serve();
  stop_requested = 1;
  watcher.join();
}

airlock::cli::Registrar reg("serve", [](CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "Serve the Ollama- and OpenAI-compatible HTTP APIs");
  cmd->add_option("--config", a->config,
                  "JSON config file (env AIRLOCK_CONFIG; default ~/.airlock/config.json when it exists)");
  cmd->add_flag("--print-config", a->print_config, "Print the effective settings and where each came from, then exit");
  cmd->add_option("--host", a->host, "Address to bind, host[:port] (env AIRLOCK_HOST, OLLAMA_HOST; default 127.0.0.1)");
  cmd->add_option("--port", a->port, "Port (default 11434; 0: any free port)");
  cmd->add_option("--parallel", a->parallel, "Slots per model (env AIRLOCK_NUM_PARALLEL, default 4)");
  cmd->add_option("--threads", a->threads, "Compute threads (default: one per physical core)");
  cmd->add_option("--num-ctx", a->num_ctx, "Context positions per slot (env AIRLOCK_CONTEXT_LENGTH, default 2048)");
  cmd->add_option("--api-key-file", a->api_key_file, "File with accepted API keys, one per line");
  cmd->add_flag("--no-auth", a->no_auth, "Serve a non-loopback address without API keys");
  cmd->add_option("--origin", a->origins, "Allowed CORS origin beyond localhost (repeatable; env AIRLOCK_ORIGINS)");
  cmd->add_flag("--no-demo", a->no_demo, "Do not create the demo model in an empty store");
  cmd->add_option("--max-body-mb", a->max_body_mb, "Largest request body in MiB, blob uploads aside (env AIRLOCK_MAX_BODY_MB, default 32)");
  cmd->add_option("--import-dir", a->import_dir, "Folder /api/create may read GGUF files from by path (env AIRLOCK_IMPORT_DIR; default: none)");
  cmd->add_option("--rag-root", a->rag_root,
                  "Folder POST /api/rag/collections/NAME/ingest may read documents from by path (env AIRLOCK_RAG_ROOT; default: none)");
  cmd->add_flag("--no-rag-strict", a->no_rag_strict,
                "Let the model answer a rag request even when retrieval found nothing relevant");
  cmd->add_flag("--no-prefix-sharing", a->no_prefix_sharing,
                "Every slot evaluates its whole prompt, never copying another slot's KV rows of a shared start (env AIRLOCK_PREFIX_SHARING=0; for A/B measurements)");
  cmd->add_flag("--read-only", a->read_only,
                "Refuse every model-management request (403) and never write to the store (a read-only mount serves)");
  cmd->add_flag("--lockdown", a->lockdown,
                "Egress lock-down: once listening, no socket but AF_UNIX can be made (seccomp); refuses network file systems");
  cmd->add_option("--tls-cert", a->tls_cert, "PEM certificate (chain) to serve HTTPS with (TLS 1.2+)");
  cmd->add_option("--tls-key", a->tls_key, "PEM private key of --tls-cert (unencrypted)");
  cmd->add_option("--audit", a->audit, "Write the audit trail to this folder (env AIRLOCK_AUDIT; default: off)");
  cmd->add_option("--audit-content", a->audit_content,
                  "What audit records keep of prompts and answers: full, hash (SHA-256) or none (env AIRLOCK_AUDIT_CONTENT)");
  cmd->callback([a] { run(*a); });
});

}  // namespace
