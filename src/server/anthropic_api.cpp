// Anthropic-style routes, which coding assistants point at local servers: POST /v1/messages
// (whole, or streamed as Anthropic's server-sent events) and POST /v1/messages/count_tokens. The
// request becomes a chat through the model's template (anthropic_messages.h), with tools held to
// the same grammar as the other chat routes; errors come in Anthropic's shape.
#include <airlock/error.h>

#include "server/anthropic_messages.h"
#include "server/model_manager.h"
#include "server/prompt.h"
#include "server/request_options.h"
#include "server/server_state.h"
#include "server/stream.h"
#include "server/thinking.h"
#include "server/tools.h"

namespace airlock::server {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;
constexpr auto A = ErrorStyle::Anthropic;

std::string event(const char* name, const json& data) {
  return std::string("event: ") + name + "\ndata: " + data.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

// Anthropic's sampling fields in the native option names (model PARAMETERs stay the defaults).
json anthropic_options(const ojson& body) {
  json o = json::object();
  for (const char* k : {"temperature", "top_p", "top_k"})
    if (body.contains(k) && !body[k].is_null()) o[k] = json::parse(body[k].dump());
  if (auto s = body.find("stop_sequences"); s != body.end() && !s->is_null()) {
    if (!s->is_array()) throw Error("stop_sequences: expected an array of strings");
    o["stop"] = json::parse(s->dump());
  }
  return o;
}

int64_t read_max_tokens(const ojson& body) {
  auto m = body.find("max_tokens");
  if (m == body.end() || m->is_null()) throw Error("max_tokens: field required");
  if (!m->is_number_integer() || m->get<int64_t>() < 1) throw Error("max_tokens: expected an integer of at least 1");
  return m->get<int64_t>();
}

// Fields that would change the answer if dropped.
void refuse_unsupported(const ojson& body) {
  if (auto t = body.find("thinking"); t != body.end() && t->is_object() && t->value("type", "") == "enabled")
    throw Error("thinking: extended thinking is not supported on /v1/messages");
}

// The chat a request asks for, rendered with the model's template.
struct Prepared {
  ToolSetup tools;
  std::string text;
  std::vector<int32_t> prompt;
};

Prepared prepare(const Runner& r, const ojson& body) {
  const AnthropicChat chat = read_anthropic_chat(body);
  Prepared p;
  p.tools = tool_setup(chat.tools, chat.tool_choice, r.chat_prompt().chat_template().source(), chat.parallel);
  // Thinking is not asked for here: a thinking model renders its no-think variant or its block
  // is dropped.
  p.text = render_chat(r, chat.messages, p.tools.template_tools, think_variables(r, false));
  p.prompt = tokenize_prompt(r, p.text);
  return p;
}

std::string stop_reason(const GenEvent& done) {
  if (done.done_reason == "length") return "max_tokens";
  return done.stats.stop_string.empty() ? "end_turn" : "stop_sequence";
}

json stop_sequence(const GenEvent& done) {
  return done.stats.stop_string.empty() ? json(nullptr) : json(done.stats.stop_string);
}

json tool_use_block(const ToolCall& call) {
  return {{"type", "tool_use"}, {"id", random_id("toolu_")}, {"name", call.name},
          {"input", json::parse(call.arguments.dump())}};
}

void messages(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  const ojson body = parse_body_ordered(http);
  const std::string model = string_field(body, "model");
  note_model(model);
  if (model.empty()) throw Error("model: field required");
  const int64_t max_tokens = read_max_tokens(body);
  refuse_unsupported(body);
  const bool stream = bool_field(body, "stream", false);
  auto lease = state.models.acquire(model, std::nullopt, LoadOptions{});
  const Runner& r = lease->runner();
  Prepared p = prepare(r, body);
  auto req = std::make_shared<GenRequest>();
  req->prompt = std::move(p.prompt);
  set_thinking(r, p.text, false, *req);
  req->sampling.repeat_penalty = 1.0f;  // Anthropic has none: off unless the Modelfile sets one
  apply_options(r.resolved().parameters, *req, OptionSource::Modelfile);
  try {
    apply_options(anthropic_options(body), *req);
  } catch (const Error& e) {  // the native names mean nothing to this API's clients
    std::string m = e.what();
    if (m.rfind("options.", 0) == 0) m = m.substr(8);
    if (m.rfind("stop", 0) == 0) m = "stop_sequences" + m.substr(4);
    throw Error(m);
  }
  req->num_predict = max_tokens;
  const ToolSetup tools = p.tools;
  if (tools.active()) req->compiled = r.constraint(tools.gbnf, "");
  const int64_t input_tokens = static_cast<int64_t>(req->prompt.size());
  submit(state, *lease, req);

  const std::string id = random_id("msg_");
  if (!stream) {
    Collected c = collect(state, http, *req);
    const auto calls = reply_tool_calls(tools, c.text);
    json content = json::array();
    if (calls.empty() && !c.text.empty()) content.push_back({{"type", "text"}, {"text", c.text}});
    for (const auto& call : calls) content.push_back(tool_use_block(call));
    return send_json(res, {{"id", id}, {"type", "message"}, {"role", "assistant"}, {"model", model},
                           {"content", content},
                           {"stop_reason", calls.empty() ? stop_reason(c.done) : "tool_use"},
                           {"stop_sequence", calls.empty() ? stop_sequence(c.done) : json(nullptr)},
                           {"usage", {{"input_tokens", input_tokens}, {"output_tokens", c.done.stats.eval_tokens}}}});
  }
  // Content blocks are numbered as they open: a text block when the first text arrives, then one
  // tool_use block per call at the end (a reply under tools is text or calls, never both).
  struct Blocks {
    int next = 0;
    bool text_open = false;
  };
  auto blocks = std::make_shared<Blocks>();
  auto reply = tools.active() ? std::make_shared<ToolReplyStream>(tools.syntax) : nullptr;
  auto text_delta = [blocks](const std::string& text) {
    if (text.empty()) return std::string();
    std::string out;
    if (!blocks->text_open) {
      out += event("content_block_start", {{"type", "content_block_start"}, {"index", blocks->next},
                                           {"content_block", {{"type", "text"}, {"text", ""}}}});
      blocks->text_open = true;
    }
    return out + event("content_block_delta", {{"type", "content_block_delta"}, {"index", blocks->next},
                                               {"delta", {{"type", "text_delta"}, {"text", text}}}});
  };
  auto close_text = [blocks] {
    if (!blocks->text_open) return std::string();
    blocks->text_open = false;
    return event("content_block_stop", {{"type", "content_block_stop"}, {"index", blocks->next++}});
  };
  StreamFormat f;
  f.content_type = "text/event-stream";
  f.start = [id, model, input_tokens] {
    return event("message_start",
                 {{"type", "message_start"},
                  {"message", {{"id", id}, {"type", "message"}, {"role", "assistant"}, {"model", model},
                               {"content", json::array()}, {"stop_reason", nullptr}, {"stop_sequence", nullptr},
                               {"usage", {{"input_tokens", input_tokens}, {"output_tokens", 0}}}}}});
  };
  f.piece = [reply, text_delta](const GenEvent& ev) { return text_delta(reply ? reply->feed(ev.text) : ev.text); };
  f.done = [reply, blocks, text_delta, close_text](const GenEvent& done) {
    std::string out;
    std::string reason = stop_reason(done);
    json sequence = stop_sequence(done);
    const auto calls = reply ? reply->finish() : std::vector<ToolCall>{};
    if (reply && calls.empty()) out += text_delta(reply->unsent_text());
    out += close_text();
    for (const auto& call : calls) {
      json block = tool_use_block(call);
      const std::string input = block["input"].dump();
      block["input"] = json::object();
      const int index = blocks->next++;
      out += event("content_block_start", {{"type", "content_block_start"}, {"index", index}, {"content_block", block}});
      out += event("content_block_delta", {{"type", "content_block_delta"}, {"index", index},
                                           {"delta", {{"type", "input_json_delta"}, {"partial_json", input}}}});
      out += event("content_block_stop", {{"type", "content_block_stop"}, {"index", index}});
      reason = "tool_use";
      sequence = nullptr;
    }
    out += event("message_delta", {{"type", "message_delta"},
                                   {"delta", {{"stop_reason", reason}, {"stop_sequence", sequence}}},
                                   {"usage", {{"output_tokens", done.stats.eval_tokens}}}});
    return out + event("message_stop", {{"type", "message_stop"}});
  };
  f.error = [](const GenEvent& e) { return event("error", error_body(A, http_status(e.error), e.text)); };
  stream_events(state, res, std::move(lease), std::move(req), std::move(f));
}

void count_tokens(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  const ojson body = parse_body_ordered(http);
  const std::string model = string_field(body, "model");
  note_model(model);
  if (model.empty()) throw Error("model: field required");
  auto lease = state.models.acquire(model, std::nullopt, LoadOptions{});
  const Prepared p = prepare(lease->runner(), body);
  send_json(res, {{"input_tokens", p.prompt.size()}});
}

}  // namespace

void register_anthropic_api(httplib::Server& http, ServerState& state) {
  auto* s = &state;
  http.Post("/v1/messages", guarded(A, [s](const auto& q, auto& r) { messages(*s, q, r); }));
  http.Post("/v1/messages/count_tokens", guarded(A, [s](const auto& q, auto& r) { count_tokens(*s, q, r); }));
}

}  // namespace airlock::server
