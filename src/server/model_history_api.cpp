// A model's versions over HTTP, as `airlock history` and `airlock rollback` give them:
// POST /api/history {"model"} lists every version the name pointed to, newest first, with where
// each came from and its bundle signature; POST /api/rollback {"model", "to"?} points the name back
// at an earlier version (a management route: admin keys only, refused in read-only mode). Any key
// may read the history, so it names files without their folders.
#include <airlock/error.h>

#include <filesystem>
#include <map>

#include "server/model_manager.h"
#include "server/server_state.h"
#include "store/bundle_source.h"
#include "store/store.h"

namespace airlock::server {

namespace {

using json = nlohmann::json;

std::string requested_model(const json& body) {
  const json m = body.value("model", json());
  if (!m.is_string() || m.get<std::string>().empty()) throw Error("model is required");
  note_model(m.get<std::string>());
  return m.get<std::string>();
}

// Server paths stay on the server (as /api/create's refusals keep them): a source that names a
// file ("import /data/models/x.gguf", "bundle /media/usb/b.tar (signed ...)") shows its name only.
std::string source_for_client(const std::string& source) {
  for (const std::string prefix : {"import ", "store ", "create -f ", "bundle "}) {
    if (source.rfind(prefix, 0) != 0) continue;
    std::string path = source.substr(prefix.size()), signature;
    if (prefix == "bundle ") {
      const auto open = path.rfind(" (");
      if (open != std::string::npos && path.back() == ')') {
        signature = path.substr(open);
        path.resize(open);
      }
    }
    return prefix + std::filesystem::path(path).filename().string() + signature;
  }
  return source;
}

json signature_json(const store::SourceSignature& s) {
  json j = {{"state", s.state}};
  if (!s.key_id.empty()) j["key_id"] = s.key_id;
  return j;
}

// A version's signature is that of the import that brought it, not of a later rollback to it.
std::map<std::string, store::SourceSignature> signature_by_digest(const std::vector<store::HistoryEntry>& entries) {
  std::map<std::string, store::SourceSignature> out;
  for (const auto& e : entries)
    if (e.action == "set" && e.source.rfind("rollback", 0) != 0 && e.source != "existing before history")
      out[e.digest] = store::source_signature(e.source);
  return out;
}

void history(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  const json body = parse_body(http);
  const store::Store st(state.config.models_dir);
  const auto ref = store::ModelRef::parse(requested_model(body));
  const auto entries = st.history(ref.full());
  const auto current = st.manifest_digest(ref);
  if (entries.empty() && !current) throw Error("model '" + ref.display() + "' not found", ErrorKind::NotFound);
  const auto signatures = signature_by_digest(entries);
  const auto signature_of = [&](const std::string& digest) {
    const auto it = signatures.find(digest);
    return signature_json(it == signatures.end() ? store::SourceSignature{"unknown", ""} : it->second);
  };
  json versions = json::array();
  bool marked = false;  // "current" on the newest row that set the tag to what it holds now
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    const bool is_current = !marked && current && *current == it->digest && it->action == "set";
    marked = marked || is_current;
    versions.push_back({{"digest", it->digest},
                        {"time", iso_time(std::chrono::system_clock::from_time_t(it->time))},
                        {"action", it->action},
                        {"source", source_for_client(it->source)},
                        {"signature", signature_of(it->digest)},
                        {"current", is_current}});
  }
  json out = {{"model", ref.display()}, {"current", current ? json(*current) : json(nullptr)}, {"versions", versions}};
  if (current) out["signature"] = signature_of(*current);
  send_json(res, out);
}

void rollback(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  const json body = parse_body(http);
  const std::string name = requested_model(body);
  const json to = body.value("to", json());
  if (!to.is_null() && (!to.is_string() || to.get<std::string>().empty()))
    throw Error("to: expected a manifest digest (or a hex prefix of 6+ digits) from /api/history");
  store::Store st(state.config.models_dir);
  const auto ref = store::ModelRef::parse(name);
  if (st.history(ref.full()).empty()) throw Error("model '" + ref.display() + "' not found", ErrorKind::NotFound);
  const std::string digest = st.rollback(ref.full(), to.is_null() ? std::nullopt : std::optional(to.get<std::string>()));
  // Instances of the version the name left take no new request; the next one loads this version.
  state.models.retire(ref.full());
  send_json(res, {{"model", ref.display()}, {"digest", digest}});
}

}  // namespace

void register_model_history_api(httplib::Server& http, ServerState& state) {
  auto* s = &state;
  const auto N = ErrorStyle::Native;
  http.Post("/api/history", guarded(N, [s](const auto& q, auto& r) { history(*s, q, r); }));
  http.Post("/api/rollback", guarded(N, [s](const auto& q, auto& r) { rollback(*s, q, r); }));
}

}  // namespace airlock::server
