// The HTTP server: both APIs on one httplib server, with API-key checks, CORS, one structured log
// line and (when configured) one audit record per request, GET / /health /metrics /api/version, and the demo model for an empty store.
#pragma once
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "server/config.h"

namespace airlock {
class ThreadPool;
}
namespace httplib {
class Server;
}
namespace airlock::audit {
class Trail;
}

namespace airlock::server {

class ModelManager;
class Metrics;
class RoutedServer;
class KeyRing;
class RateLimiter;
struct ServerState;

class HttpServer {
 public:
  // log: where request lines go (stderr for `airlock serve`, null to stay quiet).
  explicit HttpServer(ServerConfig config, std::FILE* log = stderr);
  ~HttpServer();

  // Binds (port 0: any free port) and returns the port; throws airlock::Error when it cannot.
  int bind();
  // Serves until stop(); call after bind().
  void serve();
  void stop();
  bool running() const;
  // One request's bytes answered in process, without a socket (fuzzing, tests); plain HTTP only.
  std::string answer(std::string_view request);

 private:
  void routes();
  ServerConfig config_;
  std::FILE* log_;
  std::unique_ptr<audit::Trail> audit_;  // null: no audit trail; outlives the HTTP threads
  std::unique_ptr<KeyRing> keys_;
  std::unique_ptr<RateLimiter> limits_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<ModelManager> models_;
  std::unique_ptr<ServerState> state_;
  std::unique_ptr<httplib::Server> http_;  // a RoutedServer, or an SSLServer with TLS
};

// When the store holds no model, writes the synthetic `demo` model into it, so that a first
// `airlock serve` answers at once. Returns true when it did.
bool ensure_demo_model(const std::filesystem::path& models_dir);

}  // namespace airlock::server
