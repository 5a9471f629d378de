// What `airlock serve` is configured with: flags first, then AIRLOCK_* environment variables, then
// the familiar OLLAMA_HOST / OLLAMA_MODELS names, then defaults.
#pragma once
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "server/duration.h"

namespace airlock::server {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 11434;
  std::filesystem::path models_dir;
  int num_parallel = 4;         // slots per loaded model
  int max_queue = 512;          // requests waiting for a slot, per model, before 503
  int max_loaded_models = 3;
  KeepAlive keep_alive = std::chrono::minutes(5);
  std::chrono::seconds request_timeout{600};
  int64_t num_ctx = 2048;       // positions per slot
  int threads = 0;              // compute threads; 0: one per physical core
  std::vector<std::string> api_keys;
  bool no_auth = false;
  std::vector<std::string> cors_origins;  // beyond the localhost origins always allowed
  bool create_demo = true;      // synthesise the demo model into an empty store

  bool loopback() const;
  // Refuses a non-loopback bind without keys (unless no_auth), bad ranges. Throws airlock::Error.
  void validate() const;
};

// Reads AIRLOCK_HOST (else OLLAMA_HOST, "host[:port]" or "http://host:port"), AIRLOCK_MODELS (else
// OLLAMA_MODELS), AIRLOCK_NUM_PARALLEL, AIRLOCK_MAX_QUEUE, AIRLOCK_MAX_LOADED_MODELS,
// AIRLOCK_KEEP_ALIVE, AIRLOCK_ORIGINS (comma-separated), AIRLOCK_REQUEST_TIMEOUT (seconds).
// Throws airlock::Error naming the variable for a bad value.
ServerConfig config_from_env();

// Splits "host[:port]", "http://host:port", "[::1]:port" into the config.
void set_host_port(ServerConfig& c, const std::string& value, const std::string& origin);

// One key per line; blank lines and '#' comments ignored. Throws if unreadable or empty.
std::vector<std::string> read_api_keys(const std::filesystem::path& file);

}  // namespace airlock::server
