#include "server/server_state.h"

#include <airlock/error.h>

#include "common/json_depth.h"
#include "server/request_note.h"

namespace airlock::server {

namespace {

const char* openai_type(int status) {
  if (status == 401) return "authentication_error";
  if (status == 404) return "not_found_error";
  if (status == 429 || status == 503) return "server_busy";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

// Anthropic's error types by status (its "overloaded_error" comes with 529; ours with 503).
const char* anthropic_type(int status) {
  switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 503: return "overloaded_error";
    default: return status < 500 ? "invalid_request_error" : "api_error";
  }
}

}  // namespace

void note_model(const std::string& model) { request_note().model = model; }
const std::string& noted_model() { return request_note().model; }

nlohmann::json error_body(ErrorStyle style, int status, const std::string& message) {
  if (style == ErrorStyle::Native) return {{"error", message}};
  if (style == ErrorStyle::Anthropic) return {{"type", "error"}, {"error", {{"type", anthropic_type(status)}, {"message", message}}}};
  return {{"error", {{"message", message}, {"type", openai_type(status)}, {"param", nullptr},
                     {"code", status == 404 ? nlohmann::json("model_not_found") : nlohmann::json(nullptr)}}}};
}

void send_json(httplib::Response& res, const nlohmann::json& body, int status) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, ErrorStyle style, int status, const std::string& message) {
  send_json(res, error_body(style, status, message), status);
}

int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::BadRequest: return 400;
    case ErrorKind::NotFound: return 404;
    case ErrorKind::Busy: return 503;
    case ErrorKind::Timeout: return 504;
    case ErrorKind::Fault: return 500;
  }
  return 500;
}

httplib::Server::Handler guarded(ErrorStyle style, JsonHandler fn) {
  return [style, fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
    reset_request_note();
    try {
      fn(req, res);
    } catch (const Error& e) {
      send_error(res, style, http_status(e.kind), e.what());
    } catch (const nlohmann::json::exception& e) {
      send_error(res, style, 400, std::string("invalid request: ") + e.what());
    } catch (const std::exception& e) {
      send_error(res, style, 500, e.what());
    }
  };
}

nlohmann::json parse_body(const httplib::Request& req) {
  if (req.body.empty()) throw Error("the request body is empty (expected a JSON object)");
  require_json_depth_within(req.body, "the request body");
  nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded()) throw Error("the request body is not valid JSON");
  if (!j.is_object()) throw Error("the request body must be a JSON object");
  return j;
}

nlohmann::ordered_json parse_body_ordered(const httplib::Request& req) {
  parse_body(req);  // the same checks and messages
  return nlohmann::ordered_json::parse(req.body);
}

}  // namespace airlock::server
