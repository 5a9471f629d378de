#include "server/config.h"

#include <airlock/error.h>
#include <sys/stat.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>

#include "common/json_depth.h"
#include "server/api_keys.h"
#include "store/store.h"

namespace airlock::server {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

// The one range table for the whole-number settings, whichever source sets them.
struct IntRange {
  const char* key;
  int64_t lo, hi;
};
constexpr IntRange kRanges[] = {
    {"port", 0, 65535},           {"num_parallel", 1, 256},     {"max_queue", 0, 100000},
    {"max_loaded_models", 1, 64}, {"request_timeout", 1, 604800}, {"num_ctx", 1, int64_t{1} << 24},
    {"threads", 0, 1024},         {"max_body_mb", 1, 65536},
    {"rate_limit_rpm", 0, 1000000000}, {"rate_limit_tpm", 0, 1000000000},
    {"audit_fsync_ms", 0, 60000}, {"audit_retention_days", 0, 36500}, {"audit_max_file_mb", 1, 65536},
};

const IntRange& range_of(const std::string& key) {
  for (const auto& r : kRanges)
    if (key == r.key) return r;
  throw std::logic_error("no range for setting " + key);
}

std::string range_text(const IntRange& r) {
  return "[" + std::to_string(r.lo) + ", " + std::to_string(r.hi) + "]";
}

int64_t checked(int64_t x, const std::string& key, const std::string& origin) {
  const IntRange& r = range_of(key);
  if (x < r.lo || x > r.hi) throw Error(origin + ": " + std::to_string(x) + " is out of range " + range_text(r));
  return x;
}

int64_t to_int(const std::string& v, const std::string& key, const std::string& origin) {
  int64_t x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || p != v.data() + v.size())
    throw Error(origin + ": '" + v + "' is not a whole number in " + range_text(range_of(key)));
  return checked(x, key, origin);
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::vector<std::string> split_commas(const std::string& v) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= v.size()) {
    const auto comma = v.find(',', start);
    const std::string o = trim(v.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!o.empty()) out.push_back(o);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// Sets a whole-number setting from a string (environment) and records where it came from.
template <typename T>
void set_int_env(ServerConfig& c, T& field, const char* key, const char* var) {
  if (auto v = env(var)) {
    field = static_cast<T>(to_int(*v, key, var));
    c.sources[key] = var;
  }
}

// Sets a text or path setting from the environment and records where it came from.
template <typename T>
void set_text_env(ServerConfig& c, T& field, const char* key, const char* var) {
  if (auto v = env(var)) {
    field = *v;
    c.sources[key] = var;
  }
}

// One key of the config file; throws the problem without the file and key, which the caller adds.
void apply_file_key(ServerConfig& c, const std::string& key, const json& v, const fs::path& dir,
                    const std::string& origin) {
  auto integer = [&] {
    if (!v.is_number_integer()) throw Error("expected a whole number, got " + v.dump());
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      throw Error(v.dump() + " is out of range " + range_text(range_of(key)));
    const int64_t x = v.get<int64_t>();
    const IntRange& r = range_of(key);
    if (x < r.lo || x > r.hi) throw Error(v.dump() + " is out of range " + range_text(r));
    return x;
  };
  auto string = [&] {
    if (!v.is_string()) throw Error("expected a string, got " + v.dump());
    return v.get<std::string>();
  };
  auto boolean = [&] {
    if (!v.is_boolean()) throw Error("expected true or false, got " + v.dump());
    return v.get<bool>();
  };
  auto path = [&] {
    const fs::path p = string();
    return p.is_relative() ? dir / p : p;
  };
  if (key == "host") set_host_port(c, string(), origin);
  else if (key == "port") c.port = static_cast<int>(integer());
  else if (key == "models") c.models_dir = path();
  else if (key == "num_parallel") c.num_parallel = static_cast<int>(integer());
  else if (key == "max_queue") c.max_queue = static_cast<int>(integer());
  else if (key == "max_loaded_models") c.max_loaded_models = static_cast<int>(integer());
  else if (key == "request_timeout") c.request_timeout = std::chrono::seconds(integer());
  else if (key == "num_ctx") c.num_ctx = integer();
  else if (key == "threads") c.threads = static_cast<int>(integer());
  else if (key == "max_body_mb") c.max_body_mb = integer();
  else if (key == "import_dir") c.import_dir = path();
  else if (key == "rag_root") c.rag_root = path();
  else if (key == "rag_strict") c.rag_strict = boolean();
  else if (key == "prefix_sharing") c.prefix_sharing = boolean();
  else if (key == "keys_file") c.keys_file = path();
  else if (key == "read_only") c.read_only = boolean();
  else if (key == "lockdown") c.lockdown = boolean();
  else if (key == "tls_cert") c.tls_cert = path();
  else if (key == "tls_key") c.tls_key = path();
  else if (key == "rate_limit_rpm") c.rate_limit_rpm = integer();
  else if (key == "rate_limit_tpm") c.rate_limit_tpm = integer();
  else if (key == "audit") c.audit_dir = path();
  else if (key == "audit_content") c.audit_content = string();
  else if (key == "audit_fsync_ms") c.audit_fsync_ms = integer();
  else if (key == "audit_required") c.audit_required = boolean();
  else if (key == "audit_retention_days") c.audit_retention_days = integer();
  else if (key == "audit_max_file_mb") c.audit_max_file_mb = integer();
  else if (key == "audit_sign_key") c.audit_sign_key = path();
  else if (key == "keep_alive") {
    if (!v.is_string() && !v.is_number())
      throw Error("expected a duration string (\"5m\") or seconds, got " + v.dump());
    c.keep_alive = *parse_keep_alive(v);
  } else if (key == "origins") {
    if (!v.is_array()) throw Error("expected an array of strings, got " + v.dump());
    c.cors_origins.clear();
    for (const auto& o : v) {
      if (!o.is_string()) throw Error("expected an array of strings, got " + o.dump() + " in it");
      c.cors_origins.push_back(o.get<std::string>());
    }
  } else if (key == "api_key_file") c.api_keys = read_api_keys(path());
  else if (key == "no_auth") c.no_auth = boolean();
  else if (key == "no_demo") c.create_demo = !boolean();
  else throw Error("unknown key (known: host, port, models, num_parallel, max_queue, max_loaded_models, "
                   "keep_alive, request_timeout, num_ctx, threads, origins, api_key_file, no_auth, no_demo, "
                   "max_body_mb, import_dir, rag_root, rag_strict, prefix_sharing, read_only, lockdown, tls_cert, tls_key, keys_file, "
                   "rate_limit_rpm, rate_limit_tpm, audit, audit_content, audit_fsync_ms, audit_required, "
                   "audit_retention_days, audit_max_file_mb, audit_sign_key)");
}

}  // namespace

bool ServerConfig::loopback() const {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

fs::path ServerConfig::keys_path() const {
  if (!keys_file.empty()) return keys_file;
  return models_dir.empty() ? fs::path() : models_dir / "api-keys";
}

void ServerConfig::validate() const {
  // Values a source set are checked; code that fills the struct itself (tests, embedders) may go
  // beyond what a user may ask for, e.g. a zero request timeout.
  auto check = [this](int64_t value, const char* key) {
    if (auto it = sources.find(key); it != sources.end()) checked(value, key, it->second);
  };
  check(port, "port");
  check(num_parallel, "num_parallel");
  check(max_queue, "max_queue");
  check(max_loaded_models, "max_loaded_models");
  check(request_timeout.count(), "request_timeout");
  check(num_ctx, "num_ctx");
  check(threads, "threads");
  check(max_body_mb, "max_body_mb");
  check(rate_limit_rpm, "rate_limit_rpm");
  check(rate_limit_tpm, "rate_limit_tpm");
  check(audit_fsync_ms, "audit_fsync_ms");
  check(audit_retention_days, "audit_retention_days");
  check(audit_max_file_mb, "audit_max_file_mb");
  // What the server cannot run with at all, whoever set it.
  if (port < 0 || port > 65535) throw Error("serve: port " + std::to_string(port) + " is out of range");
  if (num_parallel < 1) throw Error("serve: num_parallel must be at least 1");
  if (max_loaded_models < 1) throw Error("serve: max_loaded_models must be at least 1");
  if (max_body_mb < 1) throw Error("serve: max_body_mb must be at least 1");
  if (!import_dir.empty() && !fs::is_directory(import_dir))
    throw Error("serve: import_dir " + import_dir.string() + " is not a folder");
  if (!rag_root.empty() && !fs::is_directory(rag_root))
    throw Error("serve: rag_root " + rag_root.string() + " is not a folder");
  if (tls_cert.empty() != tls_key.empty())
    throw Error("serve: TLS needs both a certificate and a key (--tls-cert and --tls-key)");
  if (audit_content != "full" && audit_content != "hash" && audit_content != "none") {
    const auto it = sources.find("audit_content");
    throw Error((it == sources.end() ? std::string("serve: audit_content") : it->second) + ": '" + audit_content +
                "' is not one of full, hash, none");
  }
  if (!audit_sign_key.empty() && !fs::is_regular_file(audit_sign_key))
    throw Error("serve: audit_sign_key " + audit_sign_key.string() + " is not a file");
  if (!loopback() && api_keys.empty() && !no_auth && (keys_path().empty() || read_keys_file(keys_path()).empty()))
    throw Error("serve: binding to " + host +
                " (not loopback) needs API keys (airlock keys add, or --api-key-file), or --no-auth to serve without "
                "authentication");
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
  if (!host.empty()) {
    c.host = host;
    c.sources["host"] = origin;
  }
  if (!port.empty()) {
    c.port = static_cast<int>(to_int(port, "port", origin));
    c.sources["port"] = origin;
  }
}

void apply_env(ServerConfig& c) {
  if (auto h = env("AIRLOCK_HOST")) set_host_port(c, *h, "AIRLOCK_HOST");
  else if (auto o = env("OLLAMA_HOST")) set_host_port(c, *o, "OLLAMA_HOST");
  for (const char* var : {"AIRLOCK_MODELS", "OLLAMA_MODELS"})
    if (auto m = env(var)) {
      c.models_dir = *m;
      c.sources["models"] = var;
      break;
    }
  set_int_env(c, c.num_parallel, "num_parallel", "AIRLOCK_NUM_PARALLEL");
  set_int_env(c, c.max_queue, "max_queue", "AIRLOCK_MAX_QUEUE");
  set_int_env(c, c.max_loaded_models, "max_loaded_models", "AIRLOCK_MAX_LOADED_MODELS");
  set_int_env(c, c.max_body_mb, "max_body_mb", "AIRLOCK_MAX_BODY_MB");
  if (auto v = env("AIRLOCK_PREFIX_SHARING")) {
    if (*v == "1" || *v == "true") c.prefix_sharing = true;
    else if (*v == "0" || *v == "false") c.prefix_sharing = false;
    else throw Error("AIRLOCK_PREFIX_SHARING: expected 1, 0, true or false, got '" + *v + "'");
    c.sources["prefix_sharing"] = "AIRLOCK_PREFIX_SHARING";
  }
  set_text_env(c, c.import_dir, "import_dir", "AIRLOCK_IMPORT_DIR");
  set_text_env(c, c.rag_root, "rag_root", "AIRLOCK_RAG_ROOT");
  set_text_env(c, c.audit_dir, "audit", "AIRLOCK_AUDIT");
  set_text_env(c, c.audit_content, "audit_content", "AIRLOCK_AUDIT_CONTENT");
  if (!env("AIRLOCK_CONTEXT_LENGTH")) set_int_env(c, c.num_ctx, "num_ctx", "OLLAMA_CONTEXT_LENGTH");
  set_int_env(c, c.num_ctx, "num_ctx", "AIRLOCK_CONTEXT_LENGTH");
  if (auto v = env("AIRLOCK_KEEP_ALIVE")) {
    c.keep_alive = parse_duration(*v);
    c.sources["keep_alive"] = "AIRLOCK_KEEP_ALIVE";
  }
  if (auto v = env("AIRLOCK_REQUEST_TIMEOUT")) {
    c.request_timeout = std::chrono::seconds(to_int(*v, "request_timeout", "AIRLOCK_REQUEST_TIMEOUT"));
    c.sources["request_timeout"] = "AIRLOCK_REQUEST_TIMEOUT";
  }
  if (auto v = env("AIRLOCK_ORIGINS")) {
    c.cors_origins = split_commas(*v);
    c.sources["origins"] = "AIRLOCK_ORIGINS";
  }
}

void apply_config_file(ServerConfig& c, const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(file.string() + ": cannot read the config file");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  require_json_depth_within(text, file.string());
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    std::string m = e.what();
    if (const auto b = m.find("] "); b != std::string::npos) m = m.substr(b + 2);  // drop "[json.exception...]"
    throw Error(file.string() + ": not valid JSON: " + m);
  }
  if (!j.is_object()) throw Error(file.string() + ": expected a JSON object of settings");
  const fs::path dir = file.parent_path();
  for (const auto& [key, v] : j.items()) {
    const std::string origin = file.string() + ": " + key;
    try {
      apply_file_key(c, key, v, dir, origin);
    } catch (const Error& e) {
      std::string m = e.what();
      if (m.rfind(origin, 0) == 0) throw;                               // names file and key already
      if (m.rfind(key + ": ", 0) == 0) m = m.substr(key.size() + 2);  // parse_keep_alive's prefix
      throw Error(origin + ": " + m);
    }
    if (key == "origins") c.sources["origins"] = origin;
    else if (key == "api_key_file") c.sources["api_keys"] = origin;
    else if (key == "no_demo") c.sources["create_demo"] = origin;
    else if (key != "host") c.sources[key] = origin;  // set_host_port records host and port itself
  }
}

std::optional<fs::path> default_config_file() {
  if (auto v = env("AIRLOCK_CONFIG")) {
    if (!fs::exists(*v)) throw Error("AIRLOCK_CONFIG: " + *v + " does not exist");
    return fs::path(*v);
  }
  const char* home = std::getenv("HOME");
  if (!home || !*home) return std::nullopt;
  const fs::path p = fs::path(home) / ".airlock" / "config.json";
  if (fs::exists(p)) return p;
  return std::nullopt;
}

void default_models_dir(ServerConfig& c) {
  if (c.models_dir.empty()) c.models_dir = store::Store::default_dir();
}

ServerConfig config_from_env() {
  ServerConfig c;
  apply_env(c);
  default_models_dir(c);
  return c;
}

json describe(const ServerConfig& c) {
  json out = json::object();
  auto put = [&](const std::string& key, json value) {
    auto it = c.sources.find(key);
    out[key] = {{"value", std::move(value)}, {"source", it == c.sources.end() ? "default" : it->second}};
  };
  put("host", c.host);
  put("port", c.port);
  put("models", c.models_dir.string());
  put("num_parallel", c.num_parallel);
  put("max_queue", c.max_queue);
  put("max_loaded_models", c.max_loaded_models);
  const double keep_alive_s = std::chrono::duration<double>(c.keep_alive).count();
  put("keep_alive", c.keep_alive < KeepAlive::zero() ? json(-1) : json(keep_alive_s));
  put("request_timeout", c.request_timeout.count());
  put("num_ctx", c.num_ctx);
  put("threads", c.threads);
  put("origins", c.cors_origins);
  put("api_keys", std::to_string(c.api_keys.size()) + " key(s)");
  put("read_only", c.read_only);
  put("lockdown", c.lockdown);
  put("tls_cert", c.tls_cert.string());
  put("tls_key", c.tls_key.string());
  put("keys_file", c.keys_path().string());
  put("rate_limit_rpm", c.rate_limit_rpm);
  put("rate_limit_tpm", c.rate_limit_tpm);
  put("no_auth", c.no_auth);
  put("create_demo", c.create_demo);
  put("max_body_mb", c.max_body_mb);
  put("import_dir", c.import_dir.string());
  put("rag_root", c.rag_root.string());
  put("rag_strict", c.rag_strict);
  put("prefix_sharing", c.prefix_sharing);
  put("audit", c.audit_dir.string());
  put("audit_content", c.audit_content);
  put("audit_fsync_ms", c.audit_fsync_ms);
  put("audit_required", c.audit_required);
  put("audit_retention_days", c.audit_retention_days);
  put("audit_max_file_mb", c.audit_max_file_mb);
  put("audit_sign_key", c.audit_sign_key.string());
  return out;
}

std::vector<std::string> read_api_keys(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw Error("serve: cannot read API key file " + file.string());
  // Anyone who can read the file can use every model: say so, but a shared key file on a
  // single-user machine is a choice, not an error.
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)) != 0)
    std::fprintf(stderr, "serve: WARNING: API key file %s is readable by other users (mode %03o); chmod 600 it\n",
                 file.c_str(), static_cast<unsigned>(st.st_mode & 0777));
  constexpr size_t kMinKeyLength = 16;  // a short key is guessable by trying them all
  std::vector<std::string> keys;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (line.size() < kMinKeyLength)
      throw Error("serve: API key file " + file.string() + ": the key on line " + std::to_string(line_no) + " has " +
                  std::to_string(line.size()) + " characters; use at least " + std::to_string(kMinKeyLength) +
                  " (e.g. openssl rand -hex 24)");
    keys.push_back(line);
  }
  if (keys.empty()) throw Error("serve: API key file " + file.string() + " holds no keys");
  return keys;
}

}  // namespace airlock::server
