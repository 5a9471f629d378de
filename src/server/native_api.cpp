// The familiar local server's generation routes: /api/generate, /api/chat, /api/embed,
// /api/embeddings, /api/ps, plus /api/tokenize and /api/detokenize.
#include <airlock/error.h>

#include "server/embed_dimensions.h"
#include "server/format.h"
#include "server/metrics.h"
#include "server/model_manager.h"
#include "server/logprobs.h"
#include "server/prompt.h"
#include "server/rag_chat.h"
#include "server/request_note.h"
#include "server/request_options.h"
#include "server/server_state.h"
#include "server/stream.h"
#include "server/thinking.h"
#include "server/tools.h"

namespace airlock::server {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

std::string now_iso() { return iso_time(std::chrono::system_clock::now()); }

void refuse_unsupported(const ojson& body) {
  if (auto i = body.find("images"); i != body.end() && !i->is_null() && !i->empty())
    throw Error("images are not supported yet");
}

void add_stats(json& j, const GenEvent& done, int64_t load_ns, Clock::time_point start) {
  j["done"] = true;
  j["done_reason"] = done.done_reason;
  j["total_duration"] = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
  j["load_duration"] = load_ns;
  j["prompt_eval_count"] = done.stats.prompt_tokens;
  j["prompt_eval_duration"] = done.stats.prompt_ns;
  j["eval_count"] = done.stats.eval_tokens;
  j["eval_duration"] = done.stats.eval_ns;
}

// `n_keep`: the leading prompt tokens a cut prompt or a shifted context keeps unless options.num_keep
// says otherwise.
std::shared_ptr<GenRequest> make_request(const Runner& r, std::vector<int32_t> prompt, int64_t n_keep, const ojson& body) {
  auto req = std::make_shared<GenRequest>();
  req->prompt = std::move(prompt);
  // The familiar server's defaults: an overlong prompt loses its oldest part, a full context
  // shifts; false refuses the prompt (400) / ends the answer with "length".
  req->truncate = bool_field(body, "truncate", true);
  req->shift = bool_field(body, "shift", true);
  req->n_keep = n_keep;
  apply_options(r.resolved().parameters, *req, OptionSource::Modelfile);
  if (auto o = body.find("options"); o != body.end()) apply_options(json::parse(o->dump()), *req);
  req->compiled = constraint_for_native(r, body.value("format", ojson()), body.value("grammar", ojson()));
  read_logprobs(body, *req, false);
  return req;
}

// A request without a prompt only loads (or, with keep_alive 0, unloads) the model.
void load_only(ServerState& state, httplib::Response& res, const std::string& model,
               std::optional<KeepAlive> keep_alive, const LoadOptions& load, bool chat) {
  json j = {{"model", model}, {"created_at", now_iso()}, {"done", true}};
  if (chat) j["message"] = {{"role", "assistant"}, {"content", ""}};
  else j["response"] = "";
  if (keep_alive && *keep_alive == KeepAlive::zero()) {
    state.models.unload(model);
    j["done_reason"] = "unload";
  } else {
    state.models.acquire(model, keep_alive, load);
    j["done_reason"] = "load";
  }
  send_json(res, j);
}

std::string ndjson(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

// Shared by /api/generate and /api/chat: only the shape of a text piece differs. With tools, a
// chat reply that is calls answers message.tool_calls (one entry per call) instead of content.
void run_generation(ServerState& state, const httplib::Request& http, httplib::Response& res, std::shared_ptr<Lease> lease,
                    std::shared_ptr<GenRequest> req, const std::string& model, bool stream, bool chat,
                    Clock::time_point start, const ToolSetup& tools = {}, std::shared_ptr<RagStep> rag = nullptr) {
  auto piece_json = [model, chat](const std::string& text, const std::string& thinking = "") {
    json j = {{"model", model}, {"created_at", now_iso()}, {"done", false}};
    if (chat) j["message"] = {{"role", "assistant"}, {"content", text}};
    else j["response"] = text;
    if (!thinking.empty()) (chat ? j["message"]["thinking"] : j["thinking"]) = thinking;
    return j;
  };
  auto call_json = [piece_json](const std::vector<ToolCall>& calls) {
    json j = piece_json("");
    j["message"]["tool_calls"] = json::array();
    for (const auto& call : calls) j["message"]["tool_calls"].push_back(native_tool_call(call));
    return j;
  };
  submit(state, *lease, req);
  const int64_t load_ns = lease->load_ns();
  const bool logprobs = req->logprobs;
  if (!stream) {
    Collected c = collect(state, http, *req);
    const auto calls = reply_tool_calls(tools, c.text);
    json j = calls.empty() ? piece_json(c.text) : call_json(calls);
    if (!c.thinking.empty()) (chat ? j["message"]["thinking"] : j["thinking"]) = c.thinking;
    if (logprobs) j["logprobs"] = native_logprobs(c.logprobs);
    add_stats(j, c.done, load_ns, start);
    if (rag) j["sources"] = rag->sources(c.text);
    send_json(res, j);
    return;
  }
  // Tokens whose text is held back (a tool call being recognised) go with the next line sent.
  auto unsent = std::make_shared<std::vector<TokenLogprob>>();
  auto keep = [unsent](const GenEvent& ev) { unsent->insert(unsent->end(), ev.logprobs.begin(), ev.logprobs.end()); };
  auto with_logprobs = [unsent, logprobs](json j) {
    if (logprobs && !unsent->empty()) j["logprobs"] = native_logprobs(*unsent);
    unsent->clear();
    return j;
  };
  StreamFormat f;
  f.content_type = "application/x-ndjson";
  // With tools, a reply that is calls is held back and sent as one tool_calls chunk.
  auto reply = tools.active() ? std::make_shared<ToolReplyStream>(tools.syntax) : nullptr;
  f.piece = [piece_json, reply, keep, with_logprobs, rag](const GenEvent& ev) {
    keep(ev);
    if (rag) rag->seen(ev.text);
    if (!reply || !ev.thinking.empty()) return ndjson(with_logprobs(piece_json(ev.text, ev.thinking)));
    const std::string out = reply->feed(ev.text);
    return out.empty() ? std::string() : ndjson(with_logprobs(piece_json(out)));
  };
  f.done = [piece_json, call_json, reply, keep, with_logprobs, load_ns, start, rag](const GenEvent& done) {
    keep(done);
    std::string out;
    if (reply) {
      if (const auto calls = reply->finish(); !calls.empty()) out = ndjson(with_logprobs(call_json(calls)));
      else if (const std::string rest = reply->unsent_text(); !rest.empty()) out = ndjson(with_logprobs(piece_json(rest)));
    }
    json j = with_logprobs(piece_json(""));
    add_stats(j, done, load_ns, start);
    if (rag) j["sources"] = rag->sources();
    return out + j.dump() + "\n";
  };
  f.error = [](const GenEvent& e) { return json{{"error", e.text}}.dump() + "\n"; };
  stream_events(state, res, std::move(lease), std::move(req), std::move(f));
}

// What /api/generate and /api/chat read first, alike: the body, the model and keep_alive.
struct GenerationCall {
  ojson body;
  std::string model;
  std::optional<KeepAlive> keep_alive;
};

GenerationCall parse_generation_call(const httplib::Request& http) {
  GenerationCall c{parse_body_ordered(http), "", std::nullopt};
  c.model = string_field(c.body, "model");
  note_model(c.model);
  if (c.model.empty()) throw Error("model is required");
  refuse_unsupported(c.body);
  c.keep_alive = parse_keep_alive(c.body.value("keep_alive", json()));
  return c;
}

void generate(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  const auto start = Clock::now();
  const auto [body, model, keep_alive] = parse_generation_call(http);
  const std::string prompt = string_field(body, "prompt");
  const std::string system = string_field(body, "system");
  const std::string tmpl = string_field(body, "template");
  const std::string suffix = string_field(body, "suffix");
  const bool raw = bool_field(body, "raw", false);
  const bool stream = bool_field(body, "stream", true);
  const LoadOptions load = load_options(json::parse(body.value("options", ojson()).dump()));
  if (prompt.empty()) return load_only(state, res, model, keep_alive, load, false);
  const std::optional<bool> think = read_think(body);
  auto lease = state.models.acquire(model, keep_alive, load);
  const Runner& r = lease->runner();
  std::string text;
  if (raw) text = prompt;
  else if (!tmpl.empty()) text = render_go_template(tmpl, system.empty() ? r.resolved().system.value_or("") : system, prompt);
  else text = render_generate(r, prompt, system, think_variables(r, think));
  // With a suffix the prompt is the code model's fill-in-the-middle layout, not a chat turn.
  std::vector<int32_t> ids = suffix.empty() ? tokenize_prompt(r, text) : fill_in_middle_prompt(r, prompt, suffix);
  const std::string shown_system = raw || !suffix.empty() ? "" : !system.empty() ? system : r.resolved().system.value_or("");
  const int64_t n_keep = system_prefix_tokens(r, text, ids, shown_system);
  auto req = make_request(r, std::move(ids), n_keep, body);
  set_thinking(r, text, think, *req);
  run_generation(state, http, res, std::move(lease), std::move(req), model, stream, false, start);
}

void chat(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  const auto start = Clock::now();
  const auto [body, model, keep_alive] = parse_generation_call(http);
  const bool stream = bool_field(body, "stream", true);
  ojson messages = body.value("messages", ojson::array());
  if (!messages.is_array()) throw Error("messages: expected an array");
  const std::optional<bool> think = read_think(body);
  const LoadOptions load = load_options(json::parse(body.value("options", ojson()).dump()));
  if (messages.empty()) return load_only(state, res, model, keep_alive, load, true);
  const auto rag = rag_step(state, body, messages);
  if (rag && rag->nothing_found()) return send_nothing_found_native(res, model, stream);
  auto lease = state.models.acquire(model, keep_alive, load);
  const Runner& r = lease->runner();
  // The native API has no tool_choice: the model answers in text or calls tools (one or more).
  const ToolSetup tools = tool_setup(body.value("tools", ojson()), ojson(), r.chat_prompt().chat_template().source());
  const std::string text = render_chat(r, messages, tools.template_tools, think_variables(r, think));
  std::vector<int32_t> ids = tokenize_prompt(r, text);
  const int64_t n_keep = system_prefix_tokens(r, text, ids, leading_system(r, messages));
  auto req = make_request(r, std::move(ids), n_keep, body);
  set_thinking(r, text, think, *req);
  if (tools.active()) {
    if (req->compiled.grammar) throw Error("format: cannot be combined with tools");
    req->compiled = r.constraint(tools.gbnf, "");
  }
  run_generation(state, http, res, std::move(lease), std::move(req), model, stream, true, start, tools, rag);
}

std::vector<std::string> embed_inputs(const json& input) {
  std::vector<std::string> out;
  if (input.is_string()) out.push_back(input.get<std::string>());
  else if (input.is_array())
    for (const auto& s : input) {
      if (!s.is_string()) throw Error("input: expected a string or an array of strings");
      out.push_back(s.get<std::string>());
    }
  else throw Error("input: expected a string or an array of strings");
  return out;
}

void embed(ServerState& state, const httplib::Request& http, httplib::Response& res, bool legacy) {
  const auto start = Clock::now();
  const json body = parse_body(http);
  const std::string model = string_field(body, "model");
  note_model(model);
  if (model.empty()) throw Error("model is required");
  const auto keep_alive = parse_keep_alive(body.value("keep_alive", json()));
  const bool truncate = bool_field(body, "truncate", true);
  const size_t dimensions = legacy ? 0 : read_dimensions(body);
  const std::vector<std::string> inputs =
      legacy ? std::vector<std::string>{string_field(body, "prompt")} : embed_inputs(body.value("input", json()));
  // num_ctx is the most tokens an input may have; the other keys are checked as for generation.
  const json options = body.value("options", json());
  GenRequest checked_only;
  apply_options(options, checked_only);
  auto lease = state.models.acquire(model, keep_alive, load_options(options));
  Runner& r = lease->runner();
  json embeddings = json::array();
  int64_t tokens = 0;
  for (const auto& text : inputs) {
    auto ids = r.tokenizer().encode(text, true, false);
    tokens += static_cast<int64_t>(ids.size());
    // The legacy route answers the raw pooled vector, the current one a unit vector.
    embeddings.push_back(cut_to_dimensions(r.embed(std::move(ids), truncate, !legacy), dimensions));
  }
  state.metrics.generation(tokens, 0, 0);
  request_note().prompt_tokens = tokens;
  if (legacy) return send_json(res, {{"embedding", embeddings.at(0)}});
  send_json(res, {{"model", model},
                  {"embeddings", embeddings},
                  {"total_duration", std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count()},
                  {"load_duration", lease->load_ns()},
                  {"prompt_eval_count", tokens}});
}

void tokenize(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  const json body = parse_body(http);
  const std::string model = string_field(body, "model");
  note_model(model);
  const std::string text = body.contains("content") ? string_field(body, "content") : string_field(body, "prompt");
  auto lease = state.models.acquire(model, std::nullopt);
  const bool add_special = bool_field(body, "add_special", false);
  send_json(res, {{"model", model}, {"tokens", lease->runner().tokenizer().encode(text, add_special, false)}});
}

void detokenize(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  const json body = parse_body(http);
  const std::string model = string_field(body, "model");
  note_model(model);
  const json tokens = body.value("tokens", json());
  if (!tokens.is_array()) throw Error("tokens: expected an array of token ids");
  auto lease = state.models.acquire(model, std::nullopt);
  const auto& tok = lease->runner().tokenizer();
  std::vector<int32_t> ids;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!tokens[i].is_number_integer() || tokens[i].get<int64_t>() < 0 || tokens[i].get<int64_t>() >= tok.n_vocab())
      throw Error("tokens[" + std::to_string(i) + "]: not a token id of this model (0.." +
                  std::to_string(tok.n_vocab() - 1) + ")");
    ids.push_back(tokens[i].get<int32_t>());
  }
  send_json(res, {{"model", model}, {"content", tok.decode(ids)}});
}

void ps(ServerState& state, httplib::Response& res) {
  json models = json::array();
  for (const auto& m : state.models.loaded()) {
    // From the manifest, not the file system: the blob may be gone from the store (deleted and
    // garbage-collected) while the model is still in memory finishing its requests.
    uint64_t file_size = 0;
    for (const auto& l : m.resolved.manifest.layers)
      if (l.media_type == store::media::kModel) file_size += l.size;
    models.push_back({{"name", m.resolved.ref.display()},
                      {"model", m.resolved.ref.display()},
                      {"size", file_size + m.kv_bytes},
                      {"digest", m.resolved.digest.substr(m.resolved.digest.find(':') + 1)},
                      {"details", details_json(m.resolved.details)},
                      {"expires_at", m.expires == std::chrono::system_clock::time_point::max()
                                         ? "2318-01-01T00:00:00Z" : iso_time(m.expires)},
                      {"size_vram", 0},
                      {"context_length", m.n_ctx}});
  }
  send_json(res, {{"models", models}});
}

}  // namespace

void native_chat(ServerState& state, const httplib::Request& http, httplib::Response& res) { chat(state, http, res); }

void register_native_api(httplib::Server& http, ServerState& state) {
  auto* s = &state;
  const auto N = ErrorStyle::Native;
  http.Post("/api/generate", guarded(N, [s](const auto& q, auto& r) { generate(*s, q, r); }));
  http.Post("/api/chat", guarded(N, [s](const auto& q, auto& r) { chat(*s, q, r); }));
  http.Post("/api/embed", guarded(N, [s](const auto& q, auto& r) { embed(*s, q, r, false); }));
  http.Post("/api/embeddings", guarded(N, [s](const auto& q, auto& r) { embed(*s, q, r, true); }));
  http.Post("/api/tokenize", guarded(N, [s](const auto& q, auto& r) { tokenize(*s, q, r); }));
  http.Post("/api/detokenize", guarded(N, [s](const auto& q, auto& r) { detokenize(*s, q, r); }));
  http.Get("/api/ps", guarded(N, [s](const auto&, auto& r) { ps(*s, r); }));
}

}  // namespace airlock::server
