// GET /api/status: what the web UI's status page shows beside /metrics — the settings that matter
// for compliance (audit and its content mode, lock-down, TLS, read-only, API keys) as this server
// runs them, and per loaded model its slots in use and requests waiting. Paths and key names stay
// out: any key may read it.
#include <airlock/version.h>

#include <algorithm>

#include "server/api_keys.h"
#include "server/model_manager.h"
#include "server/server_state.h"

namespace airlock::server {

namespace {

using json = nlohmann::json;

json audit_json(const ServerConfig& c) {
  if (c.audit_dir.empty()) return {{"enabled", false}};
  return {{"enabled", true}, {"content", c.audit_content}, {"required", c.audit_required},
          {"signed", !c.audit_sign_key.empty()}};
}

bool keys_required(const ServerConfig& c) {
  if (!c.api_keys.empty()) return true;
  const auto file = c.keys_path();
  return !file.empty() && !read_keys_file(file).empty();
}

json models_json(const ServerState& state) {
  json out = json::array();
  const size_t slots = static_cast<size_t>(state.config.num_parallel);
  for (const auto& m : state.models.loaded()) {
    json j = {{"name", m.resolved.ref.display()}, {"embedding", m.encoder}};
    if (!m.encoder)
      j.update({{"slots", slots}, {"busy", std::min(m.pending, slots)}, {"queued", m.pending - std::min(m.pending, slots)}});
    out.push_back(j);
  }
  return out;
}

void status(ServerState& state, httplib::Response& res) {
  const ServerConfig& c = state.config;
  send_json(res, {{"version", AIRLOCK_VERSION},
                  {"read_only", c.read_only},
                  {"lockdown", c.lockdown},
                  {"tls", !c.tls_cert.empty()},
                  {"keys_required", keys_required(c)},
                  {"audit", audit_json(c)},
                  {"num_parallel", c.num_parallel},
                  {"max_queue", c.max_queue},
                  {"max_loaded_models", c.max_loaded_models},
                  {"models", models_json(state)}});
}

}  // namespace

void register_status_api(httplib::Server& http, ServerState& state) {
  auto* s = &state;
  http.Get("/api/status", guarded(ErrorStyle::Native, [s](const auto&, auto& r) { status(*s, r); }));
}

}  // namespace airlock::server
