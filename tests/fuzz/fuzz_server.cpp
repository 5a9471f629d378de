// libFuzzer target for the HTTP server: the input is the raw bytes of one request (request line,
// headers, body), answered in process by the real server (httplib's parsing, the pre-routing
// checks, routing and every handler) over a store holding the synthetic demo model. The server
// must answer something and stay alive: a crash, a sanitizer report or a hang is a finding. Its
// context is small so that generation requests end quickly.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "server/config.h"
#include "server/http_server.h"

namespace {

airlock::server::HttpServer& server() {
  static const std::filesystem::path store =
      std::filesystem::temp_directory_path() / ("airlock-fuzz-server-" + std::to_string(getpid()));
  static airlock::server::HttpServer* s = [] {
    airlock::server::ServerConfig c;
    c.models_dir = store;
    c.port = 0;
    c.num_ctx = 32;
    c.num_parallel = 2;
    c.threads = 1;
    c.max_body_mb = 1;
    c.request_timeout = std::chrono::seconds(5);
    airlock::server::ensure_demo_model(store);
    std::atexit([] { std::filesystem::remove_all(store); });
    return new airlock::server::HttpServer(c, nullptr);
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string response = server().answer(std::string_view(reinterpret_cast<const char*>(data), size));
  // Every request that parses as HTTP gets a status line; bytes that do not may get nothing.
  if (!response.empty() && response.rfind("HTTP/1.1 ", 0) != 0) __builtin_trap();
  return 0;
}
