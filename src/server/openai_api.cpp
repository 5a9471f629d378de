// OpenAI-compatible routes: /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models and
// /v1/models/{id}, with server-sent-event streaming ending in "data: [DONE]".
#include <airlock/error.h>

#include <atomic>
#include <cstring>

#include "server/embed_dimensions.h"
#include "server/format.h"
#include "server/logprobs.h"
#include "server/prompt.h"
#include "server/rag_chat.h"
#include "server/request_note.h"
#include "server/request_options.h"
#include "server/metrics.h"
#include "server/model_manager.h"
#include "server/server_state.h"
#include "server/stream.h"
#include "server/thinking.h"
#include "server/tools.h"
#include "store/store.h"

namespace airlock::server {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;
constexpr auto O = ErrorStyle::OpenAI;

std::string new_id(const char* prefix) {
  static std::atomic<uint64_t> counter{0};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s-%llx%04llx", prefix,
                static_cast<unsigned long long>(std::time(nullptr)), static_cast<unsigned long long>(++counter % 65536));
  return buf;
}

std::string sse(const json& j) {
  return "data: " + j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

// OpenAI's request fields, mapped onto the native options (model PARAMETERs stay the defaults).
json openai_options(const ojson& body) {
  json o = json::object();
  for (const char* k : {"temperature", "top_p", "presence_penalty", "frequency_penalty", "seed", "stop"})
    if (body.contains(k) && !body[k].is_null()) o[k] = json::parse(body[k].dump());
  for (const char* k : {"max_completion_tokens", "max_tokens"})
    if (body.contains(k) && !body[k].is_null()) o["num_predict"] = json::parse(body[k].dump());
  return o;
}

// Fields that would change the output if honoured: refused rather than silently dropped.
void refuse_unsupported(const ojson& body) {
  if (auto n = body.find("n"); n != body.end() && !n->is_null() && *n != 1) throw Error("n: only n = 1 is supported");
  if (auto b = body.find("best_of"); b != body.end() && !b->is_null() && *b != 1)
    throw Error("best_of: only best_of = 1 is supported");
  if (auto e = body.find("echo"); e != body.end() && *e == true) throw Error("echo: echoing the prompt is not supported");
  if (auto l = body.find("logit_bias"); l != body.end() && !l->is_null() && !l->empty())
    throw Error("logit_bias: not supported");
}

// Chat message content may be a string or a list of parts; only text parts are accepted.
ojson flatten_messages(const ojson& messages) {
  if (!messages.is_array() || messages.empty()) throw Error("messages: expected a non-empty array");
  ojson out = ojson::array();
  for (size_t i = 0; i < messages.size(); ++i) {
    ojson m = messages[i];
    if (m.contains("content") && m["content"].is_array()) {
      std::string text;
      for (const auto& part : m["content"]) {
        if (!part.is_object() || part.value("type", "") != "text")
          throw Error("messages[" + std::to_string(i) + "].content: only text parts are supported");
        text += part.value("text", "");
      }
      m["content"] = text;
    }
    if (m.contains("content") && m["content"].is_null()) m["content"] = "";
    out.push_back(std::move(m));
  }
  return out;
}

std::string finish_reason(const GenEvent& done) { return done.done_reason == "length" ? "length" : "stop"; }

// A reply's calls as OpenAI tool_calls, each with a fresh id; a stream delta's entries carry
// their position as `index`.
json openai_tool_calls(const std::vector<ToolCall>& calls, bool delta) {
  json out = json::array();
  for (size_t i = 0; i < calls.size(); ++i)
    out.push_back(openai_tool_call(calls[i], new_tool_call_id(), delta ? std::optional<int>(static_cast<int>(i)) : std::nullopt));
  return out;
}

json usage(const GenStats& s) {
  return {{"prompt_tokens", s.prompt_total}, {"completion_tokens", s.eval_tokens},
          {"total_tokens", s.prompt_total + s.eval_tokens}};
}

void complete(ServerState& state, const httplib::Request& http, httplib::Response& res, bool chat) {
  const ojson body = parse_body_ordered(http);
  const std::string model = string_field(body, "model");
  note_model(model);
  if (model.empty()) throw Error("model is required");
  refuse_unsupported(body);
  const bool stream = bool_field(body, "stream", false);
  bool include_usage = false;
  if (auto so = body.find("stream_options"); so != body.end() && so->is_object())
    include_usage = bool_field(*so, "include_usage", false);
  std::string prompt;
  ojson messages;
  std::shared_ptr<RagStep> rag;
  if (chat) {
    messages = flatten_messages(body.value("messages", ojson()));
    rag = rag_step(state, body, messages);
    if (rag && rag->nothing_found()) return send_nothing_found_openai(res, model, stream);
  } else {
    ojson p = body.value("prompt", ojson());
    if (p.is_array() && p.size() == 1) p = p[0];
    if (!p.is_string()) throw Error("prompt: expected a string");
    prompt = p.get<std::string>();
  }
  // OpenAI has no num_ctx / num_thread: the Modelfile's or the server's settings.
  auto lease = state.models.acquire(model, std::nullopt, LoadOptions{});
  const Runner& r = lease->runner();
  const ToolSetup tools = chat ? tool_setup(body.value("tools", ojson()), body.value("tool_choice", ojson()),
                                            r.chat_prompt().chat_template().source(),
                                            bool_field(body, "parallel_tool_calls", true))
                               : ToolSetup{};
  const std::optional<bool> think = chat ? read_reasoning_effort(body) : std::nullopt;
  const std::string text = chat ? render_chat(r, messages, tools.template_tools, think_variables(r, think)) : prompt;
  auto req = std::make_shared<GenRequest>();
  const std::string suffix = chat ? "" : string_field(body, "suffix");
  req->prompt = suffix.empty() ? tokenize_prompt(r, text) : fill_in_middle_prompt(r, prompt, suffix);
  if (chat) set_thinking(r, text, think, *req);
  // OpenAI has no repeat penalty: off unless the model's Modelfile sets one.
  req->sampling.repeat_penalty = 1.0f;
  apply_options(r.resolved().parameters, *req, OptionSource::Modelfile);
  try {
    apply_options(openai_options(body), *req);
  } catch (const Error& e) {  // the native names mean nothing to an OpenAI client
    std::string m = e.what();
    if (m.rfind("options.", 0) == 0) m = m.substr(8);
    if (m.rfind("num_predict", 0) == 0) m = "max_tokens" + m.substr(11);
    throw Error(m);
  }
  if (chat) read_logprobs(body, *req, true);
  else read_completion_logprobs(body, *req);
  req->compiled = constraint_for_response_format(r, body.value("response_format", ojson()));
  if (tools.active()) {
    if (req->compiled.grammar) throw Error("response_format: cannot be combined with tools");
    req->compiled = r.constraint(tools.gbnf, "");
  }
  submit(state, *lease, req);

  const bool logprobs = req->logprobs;
  // A choice's logprobs: null unless asked for; completions count text_offset across chunks.
  auto text_offset = std::make_shared<size_t>(0);
  auto logprobs_json = [logprobs, chat, text_offset](const std::vector<TokenLogprob>& tokens) {
    if (!logprobs) return json();
    return chat ? openai_chat_logprobs(tokens) : openai_completion_logprobs(tokens, *text_offset);
  };
  const std::string id = new_id(chat ? "chatcmpl" : "cmpl");
  const int64_t created = std::time(nullptr);
  const char* object = chat ? "chat.completion" : "text_completion";
  json base = {{"id", id}, {"object", object}, {"created", created}, {"model", model},
               {"system_fingerprint", "fp_airlock"}};
  if (!stream) {
    Collected c = collect(state, http, *req);
    json choice = {{"index", 0}, {"finish_reason", finish_reason(c.done)}, {"logprobs", logprobs_json(c.logprobs)}};
    if (!chat) choice["text"] = c.text;
    else if (const auto calls = reply_tool_calls(tools, c.text); !calls.empty()) {
      choice["message"] = {{"role", "assistant"}, {"content", nullptr}, {"tool_calls", openai_tool_calls(calls, false)}};
      choice["finish_reason"] = "tool_calls";
    } else {
      choice["message"] = {{"role", "assistant"}, {"content", c.text}};
    }
    if (chat && !c.thinking.empty()) choice["message"]["reasoning_content"] = c.thinking;
    base["choices"] = json::array({choice});
    base["usage"] = usage(c.done.stats);
    if (rag) base["sources"] = rag->sources(c.text);
    return send_json(res, base);
  }
  if (chat) base["object"] = "chat.completion.chunk";
  // Tokens whose text is held back (a tool call being recognised) go with the next chunk sent.
  auto unsent = std::make_shared<std::vector<TokenLogprob>>();
  auto keep = [unsent](const GenEvent& ev) { unsent->insert(unsent->end(), ev.logprobs.begin(), ev.logprobs.end()); };
  auto chunk = [base, chat, unsent, logprobs_json](const json& delta_or_text, const json& finish) {
    json j = base;
    json choice = {{"index", 0}, {"finish_reason", finish}, {"logprobs", nullptr}};
    if (!unsent->empty()) choice["logprobs"] = logprobs_json(*unsent);
    unsent->clear();
    if (chat) choice["delta"] = delta_or_text;
    else choice["text"] = delta_or_text;
    j["choices"] = json::array({choice});
    return j;
  };
  StreamFormat f;
  f.content_type = "text/event-stream";
  // With tools, a reply that is calls is held back and sent as one tool_calls delta holding them
  // all. Whether it is calls shows in its first piece, so the role chunk waits for that: a call's
  // message then has content null, as OpenAI sends it.
  auto reply = tools.active() ? std::make_shared<ToolReplyStream>(tools.syntax) : nullptr;
  auto role_sent = std::make_shared<bool>(false);
  auto opening = [chunk, role_sent](json delta) {
    if (!*role_sent) delta["role"] = "assistant";
    *role_sent = true;
    return sse(chunk(delta, nullptr));
  };
  f.start = [chunk, chat, reply] {
    return chat && !reply ? sse(chunk({{"role", "assistant"}, {"content", ""}}, nullptr)) : std::string();
  };
  f.piece = [chunk, chat, reply, opening, keep, rag](const GenEvent& ev) {
    keep(ev);
    if (rag) rag->seen(ev.text);
    if (!ev.thinking.empty()) return reply ? opening({{"reasoning_content", ev.thinking}})
                                           : sse(chunk({{"reasoning_content", ev.thinking}}, nullptr));
    if (!reply) return sse(chunk(chat ? json{{"content", ev.text}} : json(ev.text), nullptr));
    const std::string out = reply->feed(ev.text);
    return out.empty() ? std::string() : opening({{"content", out}});
  };
  f.done = [chunk, chat, base, include_usage, reply, opening, role_sent, keep, rag](const GenEvent& done) {
    keep(done);
    std::string out;
    json finish = finish_reason(done);
    if (reply) {
      if (const auto calls = reply->finish(); !calls.empty()) {
        out = opening({{"content", nullptr}, {"tool_calls", openai_tool_calls(calls, true)}});
        finish = "tool_calls";
      } else if (const std::string rest = reply->unsent_text(); !rest.empty() || !*role_sent) {
        out = opening({{"content", rest}});
      }
    }
    json last = chunk(chat ? json::object() : json(""), finish);
    if (rag) last["sources"] = rag->sources();
    out += sse(last);
    if (include_usage) {
      json u = base;
      u["choices"] = json::array();
      u["usage"] = usage(done.stats);
      out += sse(u);
    }
    return out + "data: [DONE]\n\n";
  };
  f.error = [](const GenEvent& e) { return sse(error_body(O, http_status(e.error), e.text)) + "data: [DONE]\n\n"; };
  stream_events(state, res, std::move(lease), std::move(req), std::move(f));
}

std::string base64(const void* data, size_t n) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = static_cast<const unsigned char*>(data);
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (i + 1 < n ? uint32_t{p[i + 1]} << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < n ? kAlphabet[v & 63] : '=';
  }
  return out;
}

void embeddings(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  const json body = parse_body(http);
  const std::string model = string_field(body, "model");
  note_model(model);
  if (model.empty()) throw Error("model is required");
  const std::string encoding = string_field(body, "encoding_format", "float");
  if (encoding != "float" && encoding != "base64") throw Error("encoding_format: expected float or base64");
  const size_t dimensions = read_dimensions(body);
  // Not OpenAI's but the familiar server's: false refuses an input longer than the context instead of
  // cutting it.
  const bool truncate = bool_field(body, "truncate", true);
  const json input = body.value("input", json());
  std::vector<std::string> texts;
  if (input.is_string()) texts.push_back(input.get<std::string>());
  else if (input.is_array() && !input.empty())
    for (const auto& s : input) {
      if (!s.is_string()) throw Error("input: expected a string or an array of strings (token arrays are not supported)");
      texts.push_back(s.get<std::string>());
    }
  else throw Error("input: expected a string or a non-empty array of strings");
  auto lease = state.models.acquire(model, std::nullopt);
  Runner& r = lease->runner();
  json data = json::array();
  int64_t tokens = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto ids = r.tokenizer().encode(texts[i], true, false);
    tokens += static_cast<int64_t>(ids.size());
    const std::vector<float> v = cut_to_dimensions(r.embed(std::move(ids), truncate, true), dimensions);
    json e = {{"object", "embedding"}, {"index", i}};
    e["embedding"] = encoding == "base64" ? json(base64(v.data(), v.size() * sizeof(float))) : json(v);
    data.push_back(std::move(e));
  }
  state.metrics.generation(tokens, 0, 0);
  request_note().prompt_tokens = tokens;
  send_json(res, {{"object", "list"}, {"data", data}, {"model", model},
                  {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}});
}

json model_object(const store::ModelEntry& e) {
  return {{"id", e.ref.display()}, {"object", "model"}, {"created", e.modified}, {"owned_by", e.ref.ns}};
}

}  // namespace

void register_openai_api(httplib::Server& http, ServerState& state) {
  auto* s = &state;
  http.Post("/v1/chat/completions", guarded(O, [s](const auto& q, auto& r) { complete(*s, q, r, true); }));
  http.Post("/v1/completions", guarded(O, [s](const auto& q, auto& r) { complete(*s, q, r, false); }));
  http.Post("/v1/embeddings", guarded(O, [s](const auto& q, auto& r) { embeddings(*s, q, r); }));
  http.Get("/v1/models", guarded(O, [s](const auto&, auto& r) {
    json data = json::array();
    for (const auto& e : store::Store(s->config.models_dir).list())
      if (e.error.empty()) data.push_back(model_object(e));
    send_json(r, {{"object", "list"}, {"data", data}});
  }));
  http.Get(R"(/v1/models/(.+))", guarded(O, [s](const auto& q, auto& r) {
    const std::string id = q.matches[1].str();
    note_model(id);
    const auto ref = store::ModelRef::parse(id);
    for (const auto& e : store::Store(s->config.models_dir).list())
      if (e.error.empty() && e.ref == ref) return send_json(r, model_object(e));
    throw Error("model '" + ref.display() + "' not found", ErrorKind::NotFound);
  }));
}

}  // namespace airlock::server
