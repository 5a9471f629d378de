#include "server/audit_record.h"

#include <cmath>
#include <fstream>

#include "audit/chain.h"

namespace airlock::server {

namespace {

using ojson = nlohmann::ordered_json;

// Request fields that are the user's content; every other field of a body (model aside) is an option.
constexpr const char* kInputFields[] = {"prompt", "suffix", "system", "messages", "input", "images"};

std::string action_of(const std::string& method, const std::string& path) {
  if (path.rfind("/api/blobs/", 0) == 0) return "blob_upload";
  if (method == "DELETE") return "delete";
  return path.substr(path.rfind('/') + 1);  // create, copy, pull, push
}

}  // namespace

std::unique_ptr<audit::Trail> open_audit(const ServerConfig& c) {
  if (c.audit_dir.empty()) return nullptr;
  audit::TrailOptions o;
  o.dir = c.audit_dir;
  o.fsync_every = std::chrono::milliseconds(c.audit_fsync_ms);
  o.max_file_bytes = static_cast<uint64_t>(c.audit_max_file_mb) << 20;
  o.retention_days = static_cast<int>(c.audit_retention_days);
  if (!c.audit_sign_key.empty()) {
    std::ifstream in(c.audit_sign_key);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    o.sign_key = store::SecretKey::parse(text, c.audit_sign_key.string());
  }
  return std::make_unique<audit::Trail>(std::move(o));
}

bool management_route(const std::string& method, const std::string& path) {
  // Document collections are managed data too: querying and chatting with them is inference.
  const bool collection = path.rfind("/api/rag/collections", 0) == 0;
  if (method == "POST")
    return path == "/api/create" || path == "/api/copy" || path == "/api/pull" || path == "/api/push" ||
           path == "/api/rollback" || path.rfind("/api/blobs/", 0) == 0 || collection;
  return method == "DELETE" && (path == "/api/delete" || collection);
}

ojson audit_record(const httplib::Request& req, const httplib::Response& res, const RequestNote& note, double seconds,
                   audit::Content content) {
  const bool admin = management_route(req.method, req.path);
  ojson r = {{"type", admin ? "admin" : "request"},
             {"request_id", note.who.request_id},
             {"client", req.remote_addr + ":" + std::to_string(req.remote_port)},
             {"key", note.who.key_name.empty() ? ojson() : ojson(note.who.key_name)},
             {"method", req.method},
             {"route", req.path},
             {"status", res.status},
             {"duration_ms", std::round(seconds * 1e4) / 10}};
  // A blob upload's body streamed to disk; every other body is JSON or empty.
  ojson body = req.body.empty() ? ojson() : ojson::parse(req.body, nullptr, false);
  if (!body.is_object()) body = ojson();
  std::string model = note.model;
  if (model.empty() && body.is_object() && body.contains("model") && body["model"].is_string()) model = body["model"];
  if (!model.empty()) r["model"] = model;
  if (!note.model_digest.empty()) r["model_digest"] = note.model_digest;
  if (admin) {
    r["action"] = action_of(req.method, req.path);
    r["change"] = req.path.rfind("/api/blobs/", 0) == 0 ? ojson{{"digest", req.path.substr(11)}} : body;
    return r;
  }
  if (body.is_object()) {
    ojson input = ojson::object(), options = ojson::object();
    for (const auto& [k, v] : body.items()) {
      if (k == "model") continue;
      bool is_input = false;
      for (const char* f : kInputFields) is_input |= k == f;
      (is_input ? input : options)[k] = v;
    }
    if (!options.empty()) r["options"] = options;
    if (!input.empty() && content == audit::Content::Full) r["input"] = input;
    if (!input.empty() && content == audit::Content::Hash)
      r["input_sha256"] = audit::sha256_hex(input.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  if (note.who.capture_output && note.eval_tokens >= 0) {
    if (content == audit::Content::Full) r["output"] = note.output;
    if (content == audit::Content::Hash) r["output_sha256"] = audit::sha256_hex(note.output);
  }
  if (note.prompt_tokens >= 0) r["prompt_tokens"] = note.prompt_tokens;
  if (note.eval_tokens >= 0) r["eval_tokens"] = note.eval_tokens;
  if (note.cancelled) r["cancelled"] = true;
  return r;
}

}  // namespace airlock::server
