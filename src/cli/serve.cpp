// airlock serve: the HTTP server (both APIs) on 127.0.0.1:11434 unless told otherwise.
#include <airlock/error.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <thread>

#include "command.h"
#include "server/http_server.h"

namespace {

struct ServeArgs {
  std::string host, api_key_file;
  int port = -1;
  int parallel = 0, threads = 0;
  bool no_auth = false, no_demo = false;
  std::vector<std::string> origins;
};

void run(const ServeArgs& a) {
  using namespace airlock::server;
  ServerConfig c = config_from_env();
  if (!a.host.empty()) set_host_port(c, a.host, "--host");
  if (a.port >= 0) c.port = a.port;
  if (a.parallel > 0) c.num_parallel = a.parallel;
  if (a.threads > 0) c.threads = a.threads;
  c.no_auth = a.no_auth;
  if (!a.api_key_file.empty()) c.api_keys = read_api_keys(a.api_key_file);
  c.cors_origins.insert(c.cors_origins.end(), a.origins.begin(), a.origins.end());
  c.validate();
  if (c.no_auth && !c.loopback())
    std::fprintf(stderr, "serve: WARNING: --no-auth: anyone who can reach %s:%d can use every model\n",
                 c.host.c_str(), c.port);
  if (!a.no_demo && ensure_demo_model(c.models_dir))
    std::fprintf(stderr, "serve: the store %s was empty: created the synthetic model 'demo'\n", c.models_dir.string().c_str());
  HttpServer server(c);
  const int port = server.bind();
  std::fprintf(stderr, "serve: airlock listening on http://%s:%d (models in %s, %d slots per model)\n",
               c.host.c_str(), port, c.models_dir.string().c_str(), c.num_parallel);
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
  cmd->add_option("--host", a->host, "Address to bind, host[:port] (env AIRLOCK_HOST, OLLAMA_HOST; default 127.0.0.1)");
  cmd->add_option("--port", a->port, "Port (default 11434; 0: any free port)");
  cmd->add_option("--parallel", a->parallel, "Slots per model (env AIRLOCK_NUM_PARALLEL, default 4)");
  cmd->add_option("--threads", a->threads, "Compute threads (default: one per physical core)");
  cmd->add_option("--api-key-file", a->api_key_file, "File with accepted API keys, one per line");
  cmd->add_flag("--no-auth", a->no_auth, "Serve a non-loopback address without API keys");
  cmd->add_option("--origin", a->origins, "Extra allowed CORS origin (repeatable; env AIRLOCK_ORIGINS)");
  cmd->add_flag("--no-demo", a->no_demo, "Do not create the demo model in an empty store");
  cmd->callback([a] { run(*a); });
});

}  // namespace
