// Model-store routes: /api/tags, /api/show, /api/copy, /api/delete, /api/create,
// /api/blobs/:digest, and /api/pull and /api/push, which an air-gapped server refuses.
#include <airlock/error.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>

#include "gguf/gguf.h"
#include "gguf/value_format.h"
#include "model/arch.h"
#include "server/model_manager.h"
#include "server/request_options.h"
#include "server/server_state.h"
#include "server/thinking.h"
#include "store/digest.h"
#include "store/store.h"

namespace airlock::server {

using json = nlohmann::json;

json details_json(const store::ModelDetails& d) {
  return {{"parent_model", ""},
          {"format", d.format.empty() ? "gguf" : d.format},
          {"family", d.family},
          {"families", d.families.empty() ? json(nullptr) : json(d.families)},
          {"parameter_size", d.parameter_size},
          {"quantization_level", d.quantization_level}};
}

std::string iso_time(std::chrono::system_clock::time_point t) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(us % 1000000));
  return buf;
}

namespace {

std::string model_name(const json& body) {
  std::string m = string_field(body, "model");
  if (m.empty()) m = string_field(body, "name");
  if (m.empty()) throw Error("model is required");
  note_model(m);
  return m;
}

store::ModelRef existing(const store::Store& st, const std::string& name) {
  const auto ref = store::ModelRef::parse(name);
  if (!st.manifest_digest(ref)) throw Error("model '" + ref.display() + "' not found", ErrorKind::NotFound);
  return ref;
}

std::string bare_digest(const std::string& d) { return d.substr(d.find(':') + 1); }

// Where /api/create may take a model from: a model already in the store, a blob uploaded through
// /api/blobs (the `files` field; resolved by the caller), or a file inside the configured import
// folder. Anything else is refused with the same words whether or not such a file exists, so a
// remote client learns nothing about the server's file system.
std::string model_source(const store::Store& st, const ServerConfig& cfg, const std::string& from) {
  try {
    if (st.manifest_digest(store::ModelRef::parse(from))) return from;
  } catch (const Error&) {
    // not a model name: maybe a path in the import folder
  }
  if (!cfg.import_dir.empty()) {
    std::error_code ec;
    const auto root = std::filesystem::canonical(cfg.import_dir, ec);
    const auto file = std::filesystem::weakly_canonical(root / from, ec);
    const auto rel = file.lexically_relative(root);
    if (!ec && !root.empty() && !rel.empty() && *rel.begin() != ".." && std::filesystem::is_regular_file(file, ec))
      return file.string();
  }
  throw Error("from: '" + from + "' is not a model in the store; over HTTP a model comes from a model name, "
                  "a blob uploaded with POST /api/blobs/:digest (the files field), or a file in the server's import folder");
}

void tags(ServerState& state, httplib::Response& res) {
  json models = json::array();
  for (const auto& e : store::Store(state.config.models_dir).list()) {
    if (!e.error.empty()) continue;
    models.push_back({{"name", e.ref.display()},
                      {"model", e.ref.display()},
                      {"modified_at", iso_time(std::chrono::system_clock::from_time_t(e.modified))},
                      {"size", e.size},
                      {"digest", bare_digest(e.digest)},
                      {"details", details_json(e.details)}});
  }
  send_json(res, {{"models", models}});
}

std::string parameters_text(const json& params) {
  std::string out;
  for (const auto& [k, v] : params.items()) {
    if (v.is_array())
      for (const auto& x : v) out += k + " " + (x.is_string() ? x.get<std::string>() : x.dump()) + "\n";
    else
      out += k + " " + (v.is_string() ? v.get<std::string>() : v.dump()) + "\n";
  }
  return out;
}

// What the familiar clients look for before they send a request: an encoder embeds, a decoder
// completes, and its chat template says whether it takes tools and thinks.
json capabilities(const gguf::File& file) {
  const auto* arch = model::find_arch(file.get_string("general.architecture").value_or(""));
  if (arch && !arch->causal) return json::array({"embedding"});
  json caps = json::array({"completion"});
  const std::string tmpl = file.get_string("tokenizer.chat_template").value_or("");
  if (tmpl.find("tools") != std::string::npos) caps.push_back("tools");
  if (template_thinks(tmpl)) caps.push_back("thinking");
  return caps;
}

void show(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  const json body = parse_body(http);
  store::Store st(state.config.models_dir);
  const auto ref = existing(st, model_name(body));
  const bool verbose = bool_field(body, "verbose", false);
  const store::ResolvedModel m = st.resolve(ref.full());
  const store::Modelfile mf = m.modelfile();
  json model_info = json::object();
  const auto file = gguf::File::open(m.model_path);
  gguf::FormatLimits limits;
  if (verbose) limits.max_items = limits.max_string = SIZE_MAX;
  for (const auto& kv : file->metadata()) {
    const bool big_array = kv.value.type == gguf::ValueType::ARRAY && kv.key.rfind("tokenizer.ggml.", 0) == 0;
    model_info[kv.key] = big_array && !verbose ? json(nullptr) : gguf::value_to_json(kv.value, limits);
  }
  // Clients read the model's size here; the familiar server adds it, GGUF files rarely carry it.
  if (!model_info.contains("general.parameter_count")) {
    uint64_t n = 0;
    for (const auto& t : file->tensors()) n += static_cast<uint64_t>(t.n_elements());
    model_info["general.parameter_count"] = n;
  }
  json j = {{"modelfile", "# Modelfile generated by airlock show\n" + mf.render()},
            {"parameters", parameters_text(m.parameters)},
            {"template", m.template_text.value_or(m.details.chat_template)},
            {"details", details_json(m.details)},
            {"model_info", model_info},
            {"capabilities", capabilities(*file)}};
  if (m.system) j["system"] = *m.system;
  if (m.license) j["license"] = *m.license;
  if (!m.messages.empty()) j["messages"] = m.messages;
  send_json(res, j);
}

void copy(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  const json body = parse_body(http);
  const std::string src = string_field(body, "source"), dst = string_field(body, "destination");
  if (src.empty() || dst.empty()) throw Error("source and destination are required");
  store::Store st(state.config.models_dir);
  existing(st, src);
  st.copy(src, dst);
  res.status = 200;
}

void remove(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  const json body = parse_body(http);
  store::Store st(state.config.models_dir);
  const std::string name = model_name(body);
  existing(st, name);
  st.remove(name);
  state.models.retire(name);
  res.status = 200;
}

// {"model", "from" | "modelfile", "files": {"name.gguf": "sha256:..."}, "template", "system",
// "parameters", "messages", "license", "quantize", "stream"}.
void create(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  const json body = parse_body(http);
  const std::string name = model_name(body);
  store::Store st(state.config.models_dir);
  const std::string quantize = string_field(body, "quantize");
  store::Modelfile mf;
  if (const std::string text = string_field(body, "modelfile"); !text.empty()) {
    mf = store::Modelfile::parse(text, "modelfile");
    mf.from = model_source(st, state.config, mf.from);
  } else {
    mf.from = string_field(body, "from");
    if (auto f = body.find("files"); f != body.end() && !f->is_null()) {
      if (!f->is_object() || f->size() != 1)
        throw Error("files: expected one {\"name.gguf\": \"sha256:...\"} entry (adapters and projectors are not supported)");
      const json& digest = f->begin().value();
      if (!digest.is_string()) throw Error("files: the digest must be a string");
      if (!st.has_blob(digest.get<std::string>()))
        throw Error("files: blob " + digest.get<std::string>() + " is not on the server (upload it with POST /api/blobs/:digest)");
      mf.from = st.blob_path(digest.get<std::string>()).string();
    } else {
      if (mf.from.empty()) throw Error("from, files or modelfile is required");
      mf.from = model_source(st, state.config, mf.from);
    }
    if (body.contains("template")) mf.template_text = string_field(body, "template");
    if (body.contains("system")) mf.system = string_field(body, "system");
    if (body.contains("license")) {
      const json& l = body["license"];
      mf.license = l.is_array() && !l.empty() && l[0].is_string() ? l[0].get<std::string>() : string_field(body, "license");
    }
    if (auto p = body.find("parameters"); p != body.end() && !p->is_null()) {
      if (!p->is_object()) throw Error("parameters: expected an object");
      for (const auto& [k, v] : p->items()) mf.parameters[k] = (k == "stop" && v.is_string()) ? json::array({v}) : v;
    }
    if (auto msgs = body.find("messages"); msgs != body.end() && !msgs->is_null()) {
      if (!msgs->is_array()) throw Error("messages: expected an array");
      mf.messages = *msgs;
    }
  }
  st.create(name, mf, st.dir(), {"api/create", nullptr, nullptr}, quantize);
  const bool stream = bool_field(body, "stream", true);
  if (stream) {
    std::string lines;
    if (!quantize.empty()) lines += json{{"status", "quantizing model to " + quantize}}.dump() + "\n";
    lines += json{{"status", "using existing layers"}}.dump() + "\n" + json{{"status", "writing manifest"}}.dump() + "\n" +
             json{{"status", "success"}}.dump() + "\n";
    res.set_content(lines, "application/x-ndjson");
  } else {
    send_json(res, {{"status", "success"}});
  }
}

std::string path_digest(const httplib::Request& http) {
  std::string d = http.matches.size() > 1 ? http.matches[1].str() : "";
  if (d.rfind("sha256-", 0) == 0) d[6] = ':';
  if (d.size() != 71 || d.rfind("sha256:", 0) != 0 ||
      d.find_first_not_of("0123456789abcdef", 7) != std::string::npos)
    throw Error("digest: expected sha256:<64 lowercase hex digits>, got '" + d + "'");
  return d;
}

}  // namespace

void register_store_api(httplib::Server& http, ServerState& state) {
  auto* s = &state;
  const auto N = ErrorStyle::Native;
  http.Get("/api/tags", guarded(N, [s](const auto&, auto& r) { tags(*s, r); }));
  http.Post("/api/show", guarded(N, [s](const auto& q, auto& r) { show(*s, q, r); }));
  http.Post("/api/copy", guarded(N, [s](const auto& q, auto& r) { copy(*s, q, r); }));
  http.Delete("/api/delete", guarded(N, [s](const auto& q, auto& r) { remove(*s, q, r); }));
  http.Post("/api/create", guarded(N, [s](const auto& q, auto& r) { create(*s, q, r); }));
  for (const char* route : {"/api/pull", "/api/push"})
    http.Post(route, guarded(N, [](const auto&, auto&) {
      throw Error("offline: airlock never downloads or uploads models; use bundles (airlock bundle) to move them");
    }));
  http.Get(R"(/api/blobs/([^/]+))", guarded(N, [s](const auto& q, auto& r) {
    const std::string d = path_digest(q);
    if (!store::Store(s->config.models_dir).has_blob(d)) throw Error("blob " + d + " not found", ErrorKind::NotFound);
    r.status = 200;
  }));
  // The upload streams to a temporary file (a model may be many GB), then into the store, which
  // hashes it and refuses it unless the digest matches.
  http.Post(R"(/api/blobs/([^/]+))", [s](const httplib::Request& q, httplib::Response& r, const httplib::ContentReader& reader) {
    guarded(N, [s, &reader](const httplib::Request& q2, httplib::Response& r2) {
      const std::string d = path_digest(q2);
      store::Store st(s->config.models_dir);
      if (st.has_blob(d)) {
        r2.status = 200;
        return;
      }
      std::filesystem::create_directories(st.blobs_dir());
      const auto tmp = st.blobs_dir() / (".tmp-upload-" + std::to_string(std::random_device{}()));
      struct Cleanup {
        std::filesystem::path p;
        ~Cleanup() { std::error_code ec; std::filesystem::remove(p, ec); }
      } cleanup{tmp};
      {
        std::ofstream out(tmp, std::ios::binary);
        if (!out) throw Error("cannot write " + tmp.string(), ErrorKind::Fault);
        reader([&](const char* data, size_t n) { return static_cast<bool>(out.write(data, static_cast<std::streamsize>(n))); });
        if (!out.flush()) throw Error("cannot write " + tmp.string(), ErrorKind::Fault);
      }
      std::ifstream in(tmp, std::ios::binary);
      st.put_blob(in, d);
      r2.status = 201;
    })(q, r);
  });
}

}  // namespace airlock::server
