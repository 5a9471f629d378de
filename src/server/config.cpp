#include "server/config.h"

#include <airlock/error.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <optional>

#include "store/store.h"

namespace airlock::server {

namespace {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

int to_int(const std::string& v, const std::string& origin, int lo, int hi) {
  int x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || p != v.data() + v.size() || x < lo || x > hi)
    throw Error(origin + ": '" + v + "' is not a whole number in [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "]");
  return x;
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

bool ServerConfig::loopback() const {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void ServerConfig::validate() const {
  if (port < 0 || port > 65535) throw Error("serve: port " + std::to_string(port) + " is out of range");
  if (num_parallel < 1 || num_parallel > 256) throw Error("serve: AIRLOCK_NUM_PARALLEL must be in [1, 256]");
  if (!loopback() && api_keys.empty() && !no_auth)
    throw Error("serve: binding to " + host +
                " (not loopback) needs --api-key-file, or --no-auth to serve without authentication");
}

void set_host_port(ServerConfig& c, const std::string& value, const std::string& origin) {
  std::string v = value;
  for (const char* scheme : {"http://", "https://"})
    if (v.rfind(scheme, 0) == 0) v = v.substr(std::string(scheme).size());
  if (!v.empty() && v.back() == '/') v.pop_back();
  std::string host = v, port;
  if (!v.empty() && v.front() == '[') {  // [v6]:port
    const auto close = v.find(']');
    if (close == std::string::npos) throw Error(origin + ": '" + value + "' has an unclosed '['");
    host = v.substr(1, close - 1);
    if (close + 1 < v.size() && v[close + 1] == ':') port = v.substr(close + 2);
  } else if (const auto colon = v.rfind(':'); colon != std::string::npos && v.find(':') == colon) {
    host = v.substr(0, colon);
    port = v.substr(colon + 1);
  }
  if (!host.empty()) c.host = host;
  if (!port.empty()) c.port = to_int(port, origin, 0, 65535);
}

ServerConfig config_from_env() {
  ServerConfig c;
  if (auto h = env("AIRLOCK_HOST")) set_host_port(c, *h, "AIRLOCK_HOST");
  else if (auto o = env("OLLAMA_HOST")) set_host_port(c, *o, "OLLAMA_HOST");
  if (auto m = env("AIRLOCK_MODELS")) c.models_dir = *m;
  else if (auto o = env("OLLAMA_MODELS")) c.models_dir = *o;
  else c.models_dir = store::Store::default_dir();
  if (auto v = env("AIRLOCK_NUM_PARALLEL")) c.num_parallel = to_int(*v, "AIRLOCK_NUM_PARALLEL", 1, 256);
  if (auto v = env("AIRLOCK_MAX_QUEUE")) c.max_queue = to_int(*v, "AIRLOCK_MAX_QUEUE", 0, 100000);
  if (auto v = env("AIRLOCK_MAX_LOADED_MODELS"))
    c.max_loaded_models = to_int(*v, "AIRLOCK_MAX_LOADED_MODELS", 1, 64);
  if (auto v = env("AIRLOCK_KEEP_ALIVE")) c.keep_alive = parse_duration(*v);
  if (auto v = env("AIRLOCK_REQUEST_TIMEOUT"))
    c.request_timeout = std::chrono::seconds(to_int(*v, "AIRLOCK_REQUEST_TIMEOUT", 1, 86400 * 7));
  if (auto v = env("AIRLOCK_ORIGINS")) {
    size_t start = 0;
    while (start <= v->size()) {
      const auto comma = v->find(',', start);
      const std::string o = trim(v->substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (!o.empty()) c.cors_origins.push_back(o);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return c;
}

std::vector<std::string> read_api_keys(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw Error("serve: cannot read API key file " + file.string());
  std::vector<std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    keys.push_back(line);
  }
  if (keys.empty()) throw Error("serve: API key file " + file.string() + " holds no keys");
  return keys;
}

}  // namespace airlock::server
