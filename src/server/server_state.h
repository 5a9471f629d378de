// What every API handler shares: the configuration, the loaded models and the counters.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <airlock/error.h>

#include "server/config.h"

namespace airlock::server {

// Handlers that use them include server/model_manager.h and server/metrics.h themselves: this
// header is the HTTP side only, and pulls in no model, runner or engine header.
class ModelManager;
class Metrics;

struct ServerState {
  ServerConfig config;
  ModelManager& models;
  Metrics& metrics;
};

// Which error body a route answers with.
enum class ErrorStyle { Native, OpenAI, Anthropic };

// {"error": "..."}, OpenAI's {"error": {"message", "type", "param", "code"}} or Anthropic's
// {"type": "error", "error": {"type", "message"}}.
nlohmann::json error_body(ErrorStyle style, int status, const std::string& message);
void send_error(httplib::Response& res, ErrorStyle style, int status, const std::string& message);
void send_json(httplib::Response& res, const nlohmann::json& body, int status = 200);

// The HTTP status for an error's kind: the one place the mapping is made.
int http_status(ErrorKind kind);

// Wraps a handler: airlock::Error becomes the status of its kind, a JSON body parse failure 400,
// anything else 500, all in the route's error style.
using JsonHandler = std::function<void(const httplib::Request&, httplib::Response&)>;
httplib::Server::Handler guarded(ErrorStyle style, JsonHandler fn);

// The request body as a JSON object; throws airlock::Error for anything else.
nlohmann::json parse_body(const httplib::Request& req);
// As ordered_json, where key order matters (chat messages for templates, JSON schemas).
nlohmann::ordered_json parse_body_ordered(const httplib::Request& req);

// The model a request names, recorded so the request log and latency metrics can name it.
void note_model(const std::string& model);
const std::string& noted_model();

void register_native_api(httplib::Server& http, ServerState& state);
void register_store_api(httplib::Server& http, ServerState& state);
void register_openai_api(httplib::Server& http, ServerState& state);
void register_rag_api(httplib::Server& http, ServerState& state);
void register_model_history_api(httplib::Server& http, ServerState& state);
void register_status_api(httplib::Server& http, ServerState& state);
void register_anthropic_api(httplib::Server& http, ServerState& state);
void register_responses_api(httplib::Server& http, ServerState& state);

}  // namespace airlock::server

namespace airlock::store {
struct ModelDetails;
}

namespace airlock::server {
// The "details" object of /api/tags, /api/show and /api/ps.
nlohmann::json details_json(const store::ModelDetails& d);
// RFC 3339 UTC with microseconds, as the familiar server writes created_at.
std::string iso_time(std::chrono::system_clock::time_point t);
}  // namespace airlock::server
