#include "server/http_server.h"

#include <airlock/error.h>
#include <airlock/version.h>

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "model/synth.h"
#include "server/metrics.h"
#include "server/model_manager.h"
#include "server/request_note.h"
#include "server/server_state.h"
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

// Compares without stopping at the first difference, so timing does not reveal a key's prefix.
bool same_key(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i % std::max<size_t>(b.size(), 1)]);
  return diff == 0;
}

bool authorized(const ServerConfig& c, const httplib::Request& req) {
  std::string key = req.get_header_value("X-API-Key");
  const std::string auth = req.get_header_value("Authorization");
  if (key.empty() && auth.rfind("Bearer ", 0) == 0) key = auth.substr(7);
  if (key.empty()) return false;
  bool ok = false;
  for (const auto& k : c.api_keys) ok |= same_key(key, k);
  return ok;
}

ErrorStyle style_for(const std::string& path) {
  return path.rfind("/v1/", 0) == 0 ? ErrorStyle::OpenAI : ErrorStyle::Native;
}

}  // namespace

HttpServer::HttpServer(ServerConfig config, std::FILE* log) : config_(std::move(config)), log_(log) {
  config_.validate();
  pool_ = std::make_unique<ThreadPool>(config_.threads);
  metrics_ = std::make_unique<Metrics>();
  models_ = std::make_unique<ModelManager>(config_, pool_.get());
  state_ = std::make_unique<ServerState>(ServerState{config_, *models_, *metrics_});
  http_ = std::make_unique<httplib::Server>();
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

void HttpServer::routes() {
  auto& h = *http_;
  ServerState& st = *state_;
  const ServerConfig& cfg = config_;

  h.set_pre_routing_handler([&cfg](const httplib::Request& req, httplib::Response& res) {
    t_start = Clock::now();
    reset_request_note();
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
    const bool open_path = req.path == "/" || req.path == "/health";
    if (!cfg.api_keys.empty() && !open_path && !authorized(cfg, req)) {
      res.set_header("WWW-Authenticate", "Bearer");
      send_error(res, style_for(req.path), 401, "unauthorized: send an API key as 'Authorization: Bearer <key>' or 'X-API-Key'");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  h.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const double seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
    const std::string& model = noted_model();
    metrics_->request(res.status, seconds, model);
    if (!log_) return;
    json line = {{"time", iso_time(std::chrono::system_clock::now())},
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
    std::fprintf(log_, "%s\n", line.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
    std::fflush(log_);
  });

  h.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) send_error(res, style_for(req.path), 404, "no route for " + req.method + " " + req.path);
    else if (res.status == 413) send_error(res, style_for(req.path), 413, "request body too large");
  });

  h.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content("airlock is running", "text/plain"); });
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
