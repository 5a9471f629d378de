// Documents over HTTP. Collections: GET /api/rag/collections (list), POST /api/rag/collections
// (create), GET and DELETE /api/rag/collections/NAME. Ingestion: POST
// /api/rag/collections/NAME/documents (uploaded files: multipart parts with file names, or one raw
// body named by ?path=), POST /api/rag/collections/NAME/ingest (server-side paths, only inside the
// configured rag_root). Answers: POST /api/rag/query (retrieval only) and POST /api/rag/chat
// (/api/chat with a `rag` field).
#include <airlock/error.h>

#include <ctime>

#include "rag/collections.h"
#include "rag/event_log.h"
#include "rag/ingest.h"
#include "server/rag_chat.h"
#include "server/rag_retrieval.h"

namespace airlock::server {

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

json collection_json(rag::Collection& c) {
  const auto s = c.stats();
  return {{"name", c.name()},         {"embed_model", c.settings().embed_model},
          {"chunk_tokens", c.settings().chunk_tokens}, {"overlap_tokens", c.settings().overlap_tokens},
          {"documents", s.documents}, {"chunks", s.chunks}, {"dim", s.dim}, {"size", s.disk_bytes}};
}

rag::Collection open_collection(ServerState& state, const std::string& name) {
  rag::check_collection_name(name);
  return rag::Collection(rag::collection_dir(state.config.models_dir, name));
}

void list_collections(ServerState& state, httplib::Response& res) {
  json out = json::array();
  for (const auto& name : rag::list_collections(state.config.models_dir)) {
    rag::Collection c(rag::collection_dir(state.config.models_dir, name));
    out.push_back(collection_json(c));
  }
  send_json(res, {{"collections", out}});
}

int64_t int_field(const json& body, const char* key, int64_t fallback) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) throw Error(std::string(key) + ": expected a whole number");
  return it->get<int64_t>();
}

// The embedding model must be one the store has: a typo found now, not at the first ingest.
void create(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  const json body = parse_body(http);
  const std::string name = body.value("name", "");
  rag::check_collection_name(name);
  rag::CollectionSettings s;
  s.embed_model = body.value("embed_model", "");
  s.chunk_tokens = int_field(body, "chunk_tokens", s.chunk_tokens);
  s.overlap_tokens = int_field(body, "overlap_tokens", s.overlap_tokens);
  if (s.embed_model.empty()) throw Error("embed_model is required");
  note_model(s.embed_model);
  const auto lease = state.models.acquire(s.embed_model, std::nullopt);
  if (!lease->runner().is_encoder())
    throw Error("embed_model: '" + s.embed_model + "' is a generation model, not an embedding model");
  rag::create_collection(state.config.models_dir, name, s);
  auto c = open_collection(state, name);
  send_json(res, collection_json(c));
}

void show(ServerState& state, const std::string& name, httplib::Response& res) {
  auto c = open_collection(state, name);
  json j = collection_json(c);
  json docs = json::array();
  for (const auto& d : c.documents())
    docs.push_back({{"path", d.path}, {"hash", d.hash}, {"size", d.size}, {"format", d.format}, {"chunks", d.chunks}});
  j["documents_list"] = docs;
  send_json(res, j);
}

void remove(ServerState& state, const std::string& name, httplib::Response& res) {
  rag::check_collection_name(name);
  rag::remove_collection(state.config.models_dir, name);
  send_json(res, {{"deleted", name}});
}

// Runs an ingestion with the collection's embedding model as the server has it loaded, and logs it.
template <typename Fn>
void run_ingest(ServerState& state, const std::string& name, httplib::Response& res, const json& what, Fn&& ingest) {
  auto c = open_collection(state, name);
  const std::string model = c.settings().embed_model;
  note_model(model);
  std::shared_ptr<Lease> lease;
  try {
    lease = state.models.acquire(model, std::nullopt);
  } catch (const std::runtime_error& e) {
    throw Error("collection '" + name + "': its embedding model '" + model + "' cannot be loaded: " + e.what(),
                ErrorKind::NotFound);
  }
  RunnerEmbedder embedder(lease->runner());
  rag::IngestReport total;
  ingest(c, embedder, total);
  search_index(c);
  json report = rag::report_json(total);
  json event = report;
  event.update({{"event", "ingest"}, {"collection", name}, {"via", "http"}});
  event.update(what);
  rag::log_event(c.dir(), event);
  report["collection"] = collection_json(c);
  send_json(res, report);
}

void add(rag::IngestReport& total, const rag::IngestReport& r) {
  total.files += r.files;
  total.added += r.added;
  total.updated += r.updated;
  total.unchanged += r.unchanged;
  total.removed += r.removed;
  total.unsupported += r.unsupported;
  total.chunks += r.chunks;
  total.seconds += r.seconds;
  total.embed_seconds += r.embed_seconds;
  total.failures.insert(total.failures.end(), r.failures.begin(), r.failures.end());
}

// A document's name as given by the client: only a label in the collection (never a path the
// server opens), whose extension picks the parser.
std::string upload_name(const std::string& name) {
  if (name.empty() || name.size() > 512) throw Error("an uploaded document needs a file name of 1-512 characters");
  for (const char ch : name)
    if (static_cast<unsigned char>(ch) < 0x20) throw Error("file name '" + name + "': control characters");
  return name;
}

void upload(ServerState& state, const std::string& name, const httplib::Request& http, httplib::Response& res) {
  std::vector<std::pair<std::string, const std::string*>> docs;
  if (http.is_multipart_form_data()) {
    for (const auto& [field, part] : http.files)
      if (!part.filename.empty()) docs.emplace_back(upload_name(part.filename), &part.content);
    if (docs.empty()) throw Error("multipart upload: no part has a file name (filename=...)");
  } else {
    if (!http.has_param("path")) throw Error("a raw upload names its document with ?path=NAME (e.g. ?path=manual.pdf)");
    docs.emplace_back(upload_name(http.get_param_value("path")), &http.body);
  }
  json names = json::array();
  for (const auto& d : docs) names.push_back(d.first);
  run_ingest(state, name, res, {{"uploads", names}}, [&](rag::Collection& c, rag::Embedder& e, rag::IngestReport& total) {
    const rag::IngestOptions opts;
    for (const auto& [doc, bytes] : docs) add(total, rag::ingest_bytes(c, e, doc, *bytes, std::time(nullptr), opts));
  });
}

// A server-side path inside rag_root, resolved (symlinks too), or nothing. Every other path, and
// every path when no root is configured, gets the same refusal whether or not it exists.
std::optional<fs::path> inside_root(const fs::path& configured_root, const std::string& path) {
  if (configured_root.empty() || path.empty()) return std::nullopt;
  std::error_code ec;
  const fs::path root = fs::canonical(configured_root, ec);
  if (ec) return std::nullopt;
  const fs::path real = fs::canonical(root / path, ec);
  if (ec) return std::nullopt;
  const fs::path rel = real.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return std::nullopt;
  return real;
}

void ingest_paths(ServerState& state, const std::string& name, const httplib::Request& http, httplib::Response& res) {
  const json body = parse_body(http);
  const json paths = body.value("paths", json());
  if (!paths.is_array() || paths.empty()) throw Error("paths: expected a non-empty array of paths inside rag_root");
  std::vector<fs::path> resolved;
  for (const auto& p : paths) {
    const std::string text = p.is_string() ? p.get<std::string>() : p.dump();
    const auto real = p.is_string() ? inside_root(state.config.rag_root, text) : std::nullopt;
    if (!real)
      throw Error("paths: '" + text + "' is not readable by the server; over HTTP documents come as uploads "
                  "(POST /api/rag/collections/NAME/documents) or from the server's rag_root folder");
    resolved.push_back(*real);
  }
  rag::IngestOptions opts;
  opts.prune = body.value("prune", false);
  opts.root = fs::canonical(state.config.rag_root);
  run_ingest(state, name, res, {{"paths", paths}}, [&](rag::Collection& c, rag::Embedder& e, rag::IngestReport& total) {
    add(total, rag::ingest_paths(c, e, resolved, opts));
  });
}

void query(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  const json body = parse_body(http);
  const std::string name = body.value("collection", "");
  const std::string text = body.value("query", "");
  if (name.empty() || text.empty()) throw Error("collection and query are required");
  const json k = body.value("top_k", json(8));
  if (!k.is_number_integer() || k.get<int64_t>() < 1 || k.get<int64_t>() > 100) throw Error("top_k: expected 1..100");
  rag::check_collection_name(name);
  rag::SearchOptions opts{.k = static_cast<size_t>(k.get<int64_t>()), .path_prefix = body.value("path_prefix", "")};
  send_json(res, rag::query_json(name, text, retrieve(state, name, text, opts)));
}

// /api/chat's body with the retrieval settings moved into its `rag` field; `question` is
// shorthand for one user message.
void chat(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  json body = parse_body(http);
  json rag_field = {{"collection", body.value("collection", json())}};
  for (const char* key : {"top_k", "min_similarity", "path_prefix"})
    if (body.contains(key)) rag_field[key] = body[key];
  for (const char* key : {"collection", "top_k", "min_similarity", "path_prefix"}) body.erase(key);
  if (body.contains("question")) {
    if (body.contains("messages")) throw Error("give either question or messages, not both");
    if (!body["question"].is_string()) throw Error("question: expected a string");
    body["messages"] = json::array({{{"role", "user"}, {"content", body["question"]}}});
    body.erase("question");
  }
  const json messages = body.value("messages", json());
  if (!messages.is_array() || messages.empty()) throw Error("question or messages is required");
  body["rag"] = rag_field;
  httplib::Request as_chat = http;
  as_chat.body = body.dump();
  native_chat(state, as_chat, res);
}

}  // namespace

void register_rag_api(httplib::Server& http, ServerState& state) {
  auto* s = &state;
  const auto N = ErrorStyle::Native;
  const std::string one = R"(/api/rag/collections/([^/]+))";
  http.Get("/api/rag/collections", guarded(N, [s](const auto&, auto& r) { list_collections(*s, r); }));
  http.Post("/api/rag/collections", guarded(N, [s](const auto& q, auto& r) { create(*s, q, r); }));
  http.Get(one, guarded(N, [s](const auto& q, auto& r) { show(*s, q.matches[1].str(), r); }));
  http.Delete(one, guarded(N, [s](const auto& q, auto& r) { remove(*s, q.matches[1].str(), r); }));
  http.Post(one + "/documents", guarded(N, [s](const auto& q, auto& r) { upload(*s, q.matches[1].str(), q, r); }));
  http.Post(one + "/ingest", guarded(N, [s](const auto& q, auto& r) { ingest_paths(*s, q.matches[1].str(), q, r); }));
  http.Post("/api/rag/query", guarded(N, [s](const auto& q, auto& r) { query(*s, q, r); }));
  http.Post("/api/rag/chat", guarded(N, [s](const auto& q, auto& r) { chat(*s, q, r); }));
}

}  // namespace airlock::server
