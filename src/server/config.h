// What `airlock serve` is configured with. Precedence, highest first: flags, AIRLOCK_* environment
// variables (then the familiar OLLAMA_HOST / OLLAMA_MODELS / OLLAMA_CONTEXT_LENGTH names), the
// config file (JSON, keys named like the flags), defaults. Every source goes through the same range
// checks (validate()), and the config remembers where each value came from, so an error and
// `serve --print-config` can name the flag, variable or file key.
#pragma once
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/duration.h"

namespace airlock::server {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 11434;
  std::filesystem::path models_dir;
  int num_parallel = 4;         // slots per loaded model
  // A prompt start that another slot holds (a shared system prompt) is copied from it rather than
  // evaluated again; false for A/B measurements.
  bool prefix_sharing = true;
  int max_queue = 512;          // requests waiting for a slot, per model, before 503
  int max_loaded_models = 3;
  KeepAlive keep_alive = std::chrono::minutes(5);
  std::chrono::seconds request_timeout{600};
  int64_t num_ctx = 2048;       // positions per slot (a request's `num_ctx` may ask for another)
  int threads = 0;              // compute threads; 0: one per physical core
  std::vector<std::string> api_keys;  // the plain api_key_file's keys (admin scope)
  // Every model-management route refused (403) and nothing written to the store, so a store on
  // a read-only mount serves.
  bool read_only = false;
  // Serve under the egress lock-down (src/lockdown): no socket but AF_UNIX can be made once the
  // listening socket is bound; configured paths on network file systems refuse to start.
  bool lockdown = false;
  std::filesystem::path tls_cert, tls_key;  // PEM; both set: HTTPS only
  std::filesystem::path keys_file;    // named, scoped, hashed keys; empty: <models>/api-keys
  int64_t rate_limit_rpm = 0;         // per key, requests per minute; 0: no limit
  int64_t rate_limit_tpm = 0;         // per key, prompt + generated tokens per minute; 0: no limit
  bool no_auth = false;
  std::vector<std::string> cors_origins;  // beyond the localhost origins always allowed
  bool create_demo = true;      // synthesise the demo model into an empty store
  // Largest request body, MiB, except blob uploads (which stream to disk): a larger one gets 413
  // before it is read.
  int64_t max_body_mb = 32;
  // The one folder /api/create may take GGUF files from by path (`from`, Modelfile FROM); empty:
  // none, so over HTTP a model comes only from the store or an uploaded blob.
  std::filesystem::path import_dir;
  // The one folder POST /api/rag/collections/NAME/ingest may read documents from by path; empty:
  // none, so over HTTP documents arrive only as uploads.
  std::filesystem::path rag_root;
  // When retrieval finds nothing relevant, answer that instead of letting the model answer from
  // nothing; false: generate anyway (the model is told there are no sources).
  bool rag_strict = true;

  // Audit trail (src/audit): off while audit_dir is empty.
  std::filesystem::path audit_dir;
  std::string audit_content = "full";  // full | hash | none: what records keep of prompts and answers
  int64_t audit_fsync_ms = 0;          // 0: fdatasync as soon as records are written; N: every N ms
  bool audit_required = true;          // refuse requests (503) while records cannot be written
  int64_t audit_retention_days = 0;    // 0: keep every segment
  int64_t audit_max_file_mb = 64;      // rotate a segment at this size (and at each UTC day)
  std::filesystem::path audit_sign_key;  // an `airlock keys generate` secret key: signs each segment

  // Setting name (the config file key) -> where its value came from ("--parallel",
  // "AIRLOCK_NUM_PARALLEL", "/etc/airlock.json: num_parallel"); absent: the default.
  std::map<std::string, std::string> sources;

  bool loopback() const;
  // Where the scoped keys live (keys_file, else <models>/api-keys); empty without a store.
  std::filesystem::path keys_path() const;
  // Refuses a non-loopback bind without keys (unless no_auth), and any value a source set out of
  // its range, naming the source. Throws airlock::Error.
  void validate() const;
};

// Applies AIRLOCK_HOST (else OLLAMA_HOST, "host[:port]" or "http://host:port"), AIRLOCK_MODELS (else
// OLLAMA_MODELS), AIRLOCK_NUM_PARALLEL, AIRLOCK_MAX_QUEUE, AIRLOCK_MAX_LOADED_MODELS,
// AIRLOCK_KEEP_ALIVE, AIRLOCK_ORIGINS (comma-separated), AIRLOCK_REQUEST_TIMEOUT (seconds),
// AIRLOCK_MAX_BODY_MB, AIRLOCK_IMPORT_DIR, AIRLOCK_RAG_ROOT, AIRLOCK_AUDIT, AIRLOCK_AUDIT_CONTENT,
// AIRLOCK_CONTEXT_LENGTH (else OLLAMA_CONTEXT_LENGTH) over c; unset variables leave c alone.
// Throws airlock::Error naming the variable for a bad value.
void apply_env(ServerConfig& c);

// Applies a JSON config file over c. Keys: host, port, models, num_parallel, max_queue,
// max_loaded_models, keep_alive ("5m" or seconds), request_timeout (seconds), num_ctx, threads,
// origins (array of strings), api_key_file, no_auth, no_demo, max_body_mb, import_dir, rag_root,
// rag_strict, audit, audit_content, audit_fsync_ms, audit_required, audit_retention_days,
// audit_max_file_mb, audit_sign_key, read_only, lockdown, tls_cert, tls_key, keys_file,
// rate_limit_rpm, rate_limit_tpm. Relative paths are relative to the
// file's folder. Throws airlock::Error "FILE: KEY: problem" for an unreadable file, bad JSON, an
// unknown key or a value of the wrong type or range.
void apply_config_file(ServerConfig& c, const std::filesystem::path& file);

// The config file to read when --config is not given: $AIRLOCK_CONFIG (which must then exist),
// else ~/.airlock/config.json when it exists, else none.
std::optional<std::filesystem::path> default_config_file();

// Sets the store's default location (~/.airlock/models) when no source named one.
void default_models_dir(ServerConfig& c);

// Defaults + environment (no file): what the tests and embedders start from.
ServerConfig config_from_env();

// The effective settings, each with its value and source (API keys shown as a count only).
nlohmann::json describe(const ServerConfig& c);

// Splits "host[:port]", "http://host:port", "[::1]:port" into the config.
void set_host_port(ServerConfig& c, const std::string& value, const std::string& origin);

// One key per line; blank lines and '#' comments ignored. Throws if unreadable or empty.
std::vector<std::string> read_api_keys(const std::filesystem::path& file);

}  // namespace airlock::server
