#include "server/http_server.h"

#include <airlock/error.h>
#include <airlock/version.h>

#include <httplib.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <optional>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>

#include "audit/trail.h"
#include "model/synth.h"
#include "server/api_keys.h"
#include "server/audit_record.h"
#include "server/client_connection.h"
#include "server/metrics.h"
#include "server/rate_limit.h"
#include "server/model_manager.h"
#include "server/request_note.h"
#include "server/routed_server.h"
#include "server/server_state.h"
#include "server/tls.h"
#include "server/web_ui.h"
#include "store/store.h"
#include "tensor/thread_pool.h"

namespace airlock::server {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
thread_local Clock::time_point t_start;

// http(s)://localhost, 127.0.0.1, [::1] or 0.0.0.0 on any port, plus app schemes of local tools.
bool local_origin(const std::string& origin) {
  for (const char* scheme : {"http://", "https://"}) {
    if (origin.rfind(scheme, 0) != 0) continue;
    std::string host = origin.substr(std::strlen(scheme));
    if (host.rfind("[::1]", 0) == 0) host = host.substr(5);
    else {
      const auto colon = host.find(':');
      const std::string name = host.substr(0, colon);
      if (name != "localhost" && name != "127.0.0.1" && name != "0.0.0.0") return false;
      host = colon == std::string::npos ? "" : host.substr(colon);
    }
    return host.empty() || (host[0] == ':' && host.size() > 1 &&
                            host.find_first_not_of("0123456789", 1) == std::string::npos);
  }
  return false;
}

bool origin_allowed(const ServerConfig& c, const std::string& origin) {
  if (local_origin(origin)) return true;
  return std::any_of(c.cors_origins.begin(), c.cors_origins.end(),
                     [&](const std::string& o) { return o == "*" || o == origin; });
}

// The key a request carries (X-API-Key, else Authorization: Bearer), or empty.
std::string presented_key(const httplib::Request& req) {
  std::string key = req.get_header_value("X-API-Key");
  const std::string auth = req.get_header_value("Authorization");
  if (key.empty() && auth.rfind("Bearer ", 0) == 0) key = auth.substr(7);
  return key;
}

// "<8 hex of this server's start>-<counter>": unique across restarts without coordination.
std::string next_request_id() {
  static const std::string prefix = [] {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", std::random_device{}());
    return std::string(buf);
  }();
  static std::atomic<uint64_t> counter{0};
  return prefix + "-" + std::to_string(++counter);
}


ErrorStyle style_for(const std::string& path) {
  if (path == "/v1/messages" || path.rfind("/v1/messages/", 0) == 0) return ErrorStyle::Anthropic;
  return path.rfind("/v1/", 0) == 0 ? ErrorStyle::OpenAI : ErrorStyle::Native;
}

// Blob uploads stream to a file in the store; every other body is read whole into memory.
bool streams_to_disk(const httplib::Request& req) {
  return req.method == "POST" && req.path.rfind("/api/blobs/", 0) == 0;
}

// A body that would be read into memory is judged by its headers before a byte of it is read:
// over the limit it gets 413 at once, and without a length (chunked) 411, so that neither a huge
// body nor a slow endless one ties up memory. Returns the status to refuse with, or 0.
int refuse_body(const ServerConfig& c, const httplib::Request& req, std::string& why) {
  if (streams_to_disk(req)) return 0;
  const std::string te = req.get_header_value("Transfer-Encoding");
  if (!te.empty() && te != "identity") {
    why = "send the request body with a Content-Length (chunked bodies are accepted for blob uploads only)";
    return 411;
  }
  const std::string len = req.get_header_value("Content-Length");
  if (len.empty()) return 0;
  const uint64_t limit = static_cast<uint64_t>(c.max_body_mb) << 20;
  uint64_t n = 0;
  for (const char ch : len) {
    if (ch < '0' || ch > '9') {
      why = "Content-Length '" + len + "' is not a number";
      return 400;
    }
    n = n * 10 + static_cast<uint64_t>(ch - '0');
    if (n > 4 * limit) break;  // no overflow: the limit is far below 2^64 / 40
  }
  if (n <= limit) return 0;
  // Up to a few times the limit, the body is read and dropped first, so that a client that sends
  // it all before reading the answer sees the 413; beyond that it is answered at once.
  if (n <= 4 * limit) ClientConnection(req).discard(n, std::chrono::milliseconds(250));
  why = "request body too large: the limit is " + std::to_string(c.max_body_mb) +
        " MiB (max_body_mb); upload models with POST /api/blobs/:digest";
  return 413;
}

}  // namespace

HttpServer::HttpServer(ServerConfig config, std::FILE* log) : config_(std::move(config)), log_(log) {
  config_.validate();
  // The trail opens first: a server that is to be audited and cannot be does not start.
  audit_ = open_audit(config_);
  if (audit_)
    audit_->append({{"type", "server_start"}, {"version", AIRLOCK_VERSION}, {"pid", ::getpid()}, {"settings", describe(config_)}});
  // glibc raises its mmap threshold to the size of each large block freed (up to 32 MiB), after
  // which request bodies and per-model tables of that size live in heap arenas and fragment them:
  // a server that had taken a few MB-sized bodies kept ~4 MB per model load/unload cycle. A fixed
  // threshold keeps every block of 256 KiB or more in its own mapping, returned on free.
  mallopt(M_MMAP_THRESHOLD, 256 << 10);
  keys_ = std::make_unique<KeyRing>(config_.api_keys, config_.keys_path());
  limits_ = std::make_unique<RateLimiter>(config_.rate_limit_rpm, config_.rate_limit_tpm);
  pool_ = std::make_unique<ThreadPool>(config_.threads);
  metrics_ = std::make_unique<Metrics>();
  models_ = std::make_unique<ModelManager>(config_, pool_.get());
  state_ = std::make_unique<ServerState>(ServerState{config_, *models_, *metrics_});
  if (config_.tls_cert.empty()) http_ = std::make_unique<RoutedServer>();
  else http_ = make_tls_server(config_.tls_cert, config_.tls_key);
  // A client that stops sending mid-request (or mid TLS handshake) is dropped after this long
  // without a byte.
  http_->set_read_timeout(std::chrono::seconds(10));
  // Every connection holds a thread while it streams or waits in a model's queue: size the pool
  // for the slots of every model plus their queues, bounded.
  const size_t threads = std::clamp<size_t>(
      static_cast<size_t>(config_.num_parallel) * static_cast<size_t>(config_.max_loaded_models) +
          static_cast<size_t>(config_.max_queue) + 8, 16, 256);
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  routes();
}

HttpServer::~HttpServer() {
  stop();
  // Streams still running hold leases on models_: let the HTTP threads finish first.
  http_.reset();
  if (audit_) {
    try {
      audit_->append({{"type", "server_stop"}, {"pid", ::getpid()}});
    } catch (const Error& e) {
      std::fprintf(stderr, "serve: audit: %s\n", e.what());
    }
  }
}

int HttpServer::bind() {
  const int port = config_.port == 0 ? http_->bind_to_any_port(config_.host)
                                     : (http_->bind_to_port(config_.host, config_.port) ? config_.port : -1);
  if (port < 0)
    throw Error("serve: cannot listen on " + config_.host + ":" + std::to_string(config_.port) +
                " (address in use or not available)");
  return port;
}

void HttpServer::serve() { http_->listen_after_bind(); }
void HttpServer::stop() {
  if (http_) http_->stop();
}
bool HttpServer::running() const { return http_->is_running(); }
std::string HttpServer::answer(std::string_view request) {
  auto* routed = dynamic_cast<RoutedServer*>(http_.get());
  if (!routed) throw Error("answer(): in-process requests are for the plain HTTP server, not TLS");
  return routed->answer(request);
}

void HttpServer::routes() {
  auto& h = *http_;
  ServerState& st = *state_;
  const ServerConfig& cfg = config_;

  audit::Trail* trail = audit_.get();
  const bool capture = trail && audit::parse_content(cfg.audit_content) != audit::Content::None;
  KeyRing* keys = keys_.get();
  RateLimiter* limits = limits_.get();
  h.set_pre_routing_handler([&cfg, trail, capture, keys, limits](const httplib::Request& req, httplib::Response& res) {
    t_start = Clock::now();
    begin_request_note({next_request_id(), "", capture});
    res.set_header("X-Request-Id", request_note().who.request_id);
    const std::string origin = req.get_header_value("Origin");
    if (!origin.empty()) {
      if (!origin_allowed(cfg, origin)) {
        send_error(res, style_for(req.path), 403, "origin " + origin + " is not allowed (see AIRLOCK_ORIGINS)");
        return httplib::Server::HandlerResponse::Handled;
      }
      res.set_header("Access-Control-Allow-Origin", origin);
      res.set_header("Vary", "Origin");
    }
    if (req.method == "OPTIONS") {
      res.set_header("Access-Control-Allow-Methods", "GET, POST, DELETE, HEAD, OPTIONS");
      res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, X-API-Key, X-Requested-With");
      res.status = 204;
      return httplib::Server::HandlerResponse::Handled;
    }
    if (std::string why; const int status = refuse_body(cfg, req, why)) {
      // The body is left unread, so the connection cannot carry another request.
      res.set_header("Connection", "close");
      send_error(res, style_for(req.path), status, why);
      return httplib::Server::HandlerResponse::Handled;
    }
    // Served unaudited is worse than not served: refuse while records cannot be written.
    if (trail && cfg.audit_required && !trail->healthy() && !(trail->recover() && trail->healthy())) {
      send_error(res, style_for(req.path), 503, "the audit trail cannot be written (disk full?): requests are refused until it can");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (cfg.read_only && management_route(req.method, req.path)) {
      send_error(res, style_for(req.path), 403, "read-only mode: models cannot be created, copied, deleted or rolled back here (--read-only)");
      return httplib::Server::HandlerResponse::Handled;
    }
    const bool open_path = req.path == "/health" || web_ui_open_path(req.path);
    std::optional<Caller> caller;
    try {
      if (keys->empty()) return httplib::Server::HandlerResponse::Unhandled;
      if (const std::string key = presented_key(req); !key.empty()) caller = keys->find(key);
    } catch (const Error& e) {  // a hand-edited keys file with a bad line
      send_error(res, style_for(req.path), 500, e.what());
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!caller) {
      if (open_path) return httplib::Server::HandlerResponse::Unhandled;
      res.set_header("WWW-Authenticate", "Bearer");
      send_error(res, style_for(req.path), 401, "unauthorized: send an API key as 'Authorization: Bearer <key>' or 'X-API-Key'");
      return httplib::Server::HandlerResponse::Handled;
    }
    request_note().who.key_name = caller->name;
    if (caller->scope == Scope::Inference && management_route(req.method, req.path)) {
      send_error(res, style_for(req.path), 403,
                 "forbidden: the key '" + caller->name + "' has scope inference; managing models needs an admin key");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (const int64_t wait = limits->admit(caller->name)) {
      res.set_header("Retry-After", std::to_string(wait));
      send_error(res, style_for(req.path), 429,
                 "rate limit of the key '" + caller->name + "' reached (rate_limit_rpm / rate_limit_tpm): retry in " +
                     std::to_string(wait) + " s");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  h.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const double seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
    const std::string& model = noted_model();
    metrics_->request(res.status, seconds, model);
    if (const RequestNote& n = request_note(); !n.who.key_name.empty())
      limits_->spend_tokens(n.who.key_name, std::max<int64_t>(n.prompt_tokens, 0) + std::max<int64_t>(n.eval_tokens, 0));
    if (audit_) {
      try {
        audit_->append(audit_record(req, res, request_note(), seconds, audit::parse_content(config_.audit_content)));
      } catch (const Error& e) {
        std::fprintf(stderr, "serve: audit record of request %s lost: %s\n", request_note().who.request_id.c_str(), e.what());
      }
    }
    if (!log_) return;
    json line = {{"time", iso_time(std::chrono::system_clock::now())},
                 {"request_id", request_note().who.request_id},
                 {"remote", req.remote_addr},
                 {"method", req.method},
                 {"path", req.path},
                 {"status", res.status},
                 {"duration_ms", std::round(seconds * 1e4) / 10}};
    const RequestNote& note = request_note();
    if (!model.empty()) line["model"] = model;
    if (note.prompt_tokens >= 0) line["prompt_tokens"] = note.prompt_tokens;
    if (note.eval_tokens >= 0) line["eval_tokens"] = note.eval_tokens;
    if (!note.ignored_options.empty()) line["ignored_options"] = note.ignored_options;
    if (note.num_ctx_capped_to >= 0) line["num_ctx_capped_to"] = note.num_ctx_capped_to;
    if (note.cancelled) line["cancelled"] = true;
    std::fprintf(log_, "%s\n", line.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
    std::fflush(log_);
  });

  h.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) send_error(res, style_for(req.path), 404, "no route for " + req.method + " " + req.path);
    else if (res.status == 413) send_error(res, style_for(req.path), 413, "request body too large");
  });

  register_web_ui(h);
  h.Get("/api/version", [](const httplib::Request&, httplib::Response& res) {
    send_json(res, {{"version", AIRLOCK_VERSION}});
  });
  h.Get("/health", [&st](const httplib::Request&, httplib::Response& res) {
    if (st.models.loading()) send_json(res, {{"status", "loading model"}}, 503);
    else send_json(res, {{"status", "ok"}});
  });
  h.Get("/metrics", [&st](const httplib::Request&, httplib::Response& res) {
    res.set_content(st.metrics.render(st.models.queue_depth(), st.models.loaded_count()), "text/plain; version=0.0.4");
  });
  register_native_api(h, st);
  register_store_api(h, st);
  register_openai_api(h, st);
  register_anthropic_api(h, st);
  register_responses_api(h, st);
  register_rag_api(h, st);
  register_model_history_api(h, st);
  register_status_api(h, st);
}

bool ensure_demo_model(const std::filesystem::path& models_dir) {
  store::Store st(models_dir);
  if (!st.list().empty()) return false;
  std::filesystem::create_directories(models_dir);
  synth::Options opt;
  opt.preset = "demo";
  opt.type = "Q8_0";
  const auto tmp = models_dir / ".demo-synth.gguf";
  synth::write_model(synth::plan_model(opt), opt.seed, tmp);
  try {
    st.import_gguf(tmp, "demo", {"synthesised demo model", nullptr, nullptr});
  } catch (...) {
    std::filesystem::remove(tmp);
    throw;
  }
  std::filesystem::remove(tmp);
  return true;
}

}  // namespace airlock::server
