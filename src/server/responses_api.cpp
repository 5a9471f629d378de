// OpenAI's Responses API: POST /v1/responses, whole or streamed as its response.* server-sent
// events. The request becomes a chat through the model's template (responses_input.h), with
// function tools held to the same grammar as /v1/chat/completions; nothing is stored, so
// previous_response_id is refused.
#include <airlock/error.h>

#include <ctime>

#include "server/format.h"
#include "server/model_manager.h"
#include "server/prompt.h"
#include "server/request_options.h"
#include "server/responses_input.h"
#include "server/server_state.h"
#include "server/stream.h"
#include "server/thinking.h"
#include "server/tools.h"

namespace airlock::server {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;
constexpr auto O = ErrorStyle::OpenAI;

// The chat-completions tool_choice for the Responses form ({"type": "function", "name": X}).
ojson read_tool_choice(const ojson& body) {
  const ojson c = body.value("tool_choice", ojson());
  if (c.is_object() && c.value("type", "") == "function")
    return {{"type", "function"}, {"function", {{"name", c.value("name", ojson())}}}};
  return c;
}

json options_of(const ojson& body) {
  json o = json::object();
  for (const char* k : {"temperature", "top_p"})
    if (body.contains(k) && !body[k].is_null()) o[k] = json::parse(body[k].dump());
  if (body.contains("max_output_tokens") && !body["max_output_tokens"].is_null())
    o["num_predict"] = json::parse(body["max_output_tokens"].dump());
  return o;
}

void refuse_unsupported(const ojson& body) {
  if (auto p = body.find("previous_response_id"); p != body.end() && !p->is_null())
    throw Error("previous_response_id: responses are not stored here; send the whole conversation as input");
  if (auto c = body.find("conversation"); c != body.end() && !c->is_null())
    throw Error("conversation: conversations are not stored here; send the whole conversation as input");
  if (auto b = body.find("background"); b != body.end() && *b == true) throw Error("background: not supported");
}

json usage(const GenStats& s) {
  return {{"input_tokens", s.prompt_total}, {"input_tokens_details", {{"cached_tokens", s.prompt_total - s.prompt_tokens}}},
          {"output_tokens", s.eval_tokens}, {"output_tokens_details", {{"reasoning_tokens", 0}}},
          {"total_tokens", s.prompt_total + s.eval_tokens}};
}

json message_item(const std::string& id, const std::string& text, const char* status) {
  json content = json::array();
  if (std::string(status) == "completed") content.push_back({{"type", "output_text"}, {"text", text}, {"annotations", json::array()}});
  return {{"type", "message"}, {"id", id}, {"status", status}, {"role", "assistant"}, {"content", content}};
}

json call_item(const ToolCall& call, const std::string& arguments, const char* status) {
  return {{"type", "function_call"}, {"id", random_id("fc_")}, {"call_id", new_tool_call_id()}, {"name", call.name},
          {"arguments", arguments}, {"status", status}};
}

void responses(ServerState& state, const httplib::Request& http, httplib::Response& res) {
  const ojson body = parse_body_ordered(http);
  const std::string model = string_field(body, "model");
  note_model(model);
  if (model.empty()) throw Error("model is required");
  refuse_unsupported(body);
  const bool stream = bool_field(body, "stream", false);
  const ResponsesChat chat = read_responses_chat(body);
  auto lease = state.models.acquire(model, std::nullopt, LoadOptions{});
  const Runner& r = lease->runner();
  const ToolSetup tools = tool_setup(chat.tools, read_tool_choice(body), r.chat_prompt().chat_template().source(),
                                     bool_field(body, "parallel_tool_calls", true));
  const std::string text = render_chat(r, chat.messages, tools.template_tools, think_variables(r, false));
  auto req = std::make_shared<GenRequest>();
  req->prompt = tokenize_prompt(r, text);
  set_thinking(r, text, false, *req);
  req->sampling.repeat_penalty = 1.0f;  // none in OpenAI's API: off unless the Modelfile sets one
  apply_options(r.resolved().parameters, *req, OptionSource::Modelfile);
  try {
    apply_options(options_of(body), *req);
  } catch (const Error& e) {
    std::string m = e.what();
    if (m.rfind("options.", 0) == 0) m = m.substr(8);
    if (m.rfind("num_predict", 0) == 0) m = "max_output_tokens" + m.substr(11);
    throw Error(m);
  }
  req->compiled = constraint_for_response_format(r, chat.response_format);
  if (tools.active()) {
    if (req->compiled.grammar) throw Error("text.format: cannot be combined with tools");
    req->compiled = r.constraint(tools.gbnf, "");
  }
  submit(state, *lease, req);

  // What the response object echoes of the request.
  json base = {{"id", random_id("resp_")}, {"object", "response"}, {"created_at", std::time(nullptr)},
               {"model", model}, {"error", nullptr}, {"incomplete_details", nullptr},
               {"instructions", json::parse(body.value("instructions", ojson()).dump())},
               {"max_output_tokens", json::parse(body.value("max_output_tokens", ojson()).dump())},
               {"parallel_tool_calls", bool_field(body, "parallel_tool_calls", true)},
               {"tool_choice", json::parse(body.value("tool_choice", ojson("auto")).dump())},
               {"tools", json::parse(body.value("tools", ojson::array()).dump())},
               {"temperature", json::parse(body.value("temperature", ojson()).dump())},
               {"top_p", json::parse(body.value("top_p", ojson()).dump())},
               {"text", {{"format", chat.response_format.is_null() ? json{{"type", "text"}}
                                                                    : json::parse(body["text"]["format"].dump())}}},
               {"store", false}, {"metadata", json::object()}, {"output", json::array()}, {"usage", nullptr}};
  // A reply cut by max_output_tokens is "incomplete", as OpenAI reports it.
  auto finished = [base](json output, const GenEvent& done) {
    json r = base;
    const bool cut = done.done_reason == "length";
    r["status"] = cut ? "incomplete" : "completed";
    if (cut) r["incomplete_details"] = {{"reason", "max_output_tokens"}};
    r["output"] = std::move(output);
    r["usage"] = usage(done.stats);
    return r;
  };
  const std::string message_id = random_id("msg_");
  if (!stream) {
    Collected c = collect(state, http, *req);
    json output = json::array();
    const auto calls = reply_tool_calls(tools, c.text);
    for (const auto& call : calls) output.push_back(call_item(call, call.arguments.dump(), "completed"));
    if (calls.empty()) output.push_back(message_item(message_id, c.text, "completed"));
    return send_json(res, finished(output, c.done));
  }
  // Server-sent events, numbered. The message item opens with the first text; a reply under
  // tools that is calls sends one function_call item per call at the end instead.
  struct Progress {
    int64_t seq = 0;
    bool message_open = false;
    std::string text;
  };
  auto p = std::make_shared<Progress>();
  auto event = [p](const char* type, json data) {
    data["type"] = type;
    data["sequence_number"] = p->seq++;
    return std::string("event: ") + type + "\ndata: " + data.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
  };
  auto open_message = [p, event, message_id] {
    if (p->message_open) return std::string();
    p->message_open = true;
    std::string out = event("response.output_item.added", {{"output_index", 0}, {"item", message_item(message_id, "", "in_progress")}});
    return out + event("response.content_part.added",
                       {{"item_id", message_id}, {"output_index", 0}, {"content_index", 0},
                        {"part", {{"type", "output_text"}, {"text", ""}, {"annotations", json::array()}}}});
  };
  auto delta = [p, event, open_message, message_id](const std::string& piece) {
    if (piece.empty()) return std::string();
    std::string out = open_message();
    p->text += piece;
    return out + event("response.output_text.delta",
                       {{"item_id", message_id}, {"output_index", 0}, {"content_index", 0}, {"delta", piece}, {"logprobs", json::array()}});
  };
  auto reply = tools.active() ? std::make_shared<ToolReplyStream>(tools.syntax) : nullptr;
  StreamFormat f;
  f.content_type = "text/event-stream";
  f.start = [base, event] {
    json r = base;
    r["status"] = "in_progress";
    std::string out = event("response.created", {{"response", r}});  // numbered before the next
    return out + event("response.in_progress", {{"response", r}});
  };
  f.piece = [reply, delta](const GenEvent& ev) { return delta(reply ? reply->feed(ev.text) : ev.text); };
  f.done = [p, reply, event, delta, open_message, finished, message_id](const GenEvent& done) {
    std::string out;
    json output = json::array();
    const auto calls = reply ? reply->finish() : std::vector<ToolCall>{};
    if (reply && calls.empty()) out += delta(reply->unsent_text());
    for (size_t i = 0; i < calls.size(); ++i) {
      const std::string arguments = calls[i].arguments.dump();
      json item = call_item(calls[i], "", "in_progress");
      const std::string item_id = item["id"];
      out += event("response.output_item.added", {{"output_index", i}, {"item", item}});
      out += event("response.function_call_arguments.delta", {{"item_id", item_id}, {"output_index", i}, {"delta", arguments}});
      out += event("response.function_call_arguments.done", {{"item_id", item_id}, {"output_index", i}, {"arguments", arguments}});
      item["arguments"] = arguments;
      item["status"] = "completed";
      out += event("response.output_item.done", {{"output_index", i}, {"item", item}});
      output.push_back(std::move(item));
    }
    if (calls.empty()) {
      out += open_message();  // an empty answer still has its message item
      const json part = {{"type", "output_text"}, {"text", p->text}, {"annotations", json::array()}};
      out += event("response.output_text.done",
                   {{"item_id", message_id}, {"output_index", 0}, {"content_index", 0}, {"text", p->text}, {"logprobs", json::array()}});
      out += event("response.content_part.done", {{"item_id", message_id}, {"output_index", 0}, {"content_index", 0}, {"part", part}});
      json item = message_item(message_id, p->text, "completed");
      out += event("response.output_item.done", {{"output_index", 0}, {"item", item}});
      output.push_back(std::move(item));
    }
    json r = finished(output, done);
    return out + event(r["status"] == "completed" ? "response.completed" : "response.incomplete", {{"response", r}});
  };
  f.error = [event](const GenEvent& e) {
    return event("error", {{"code", nullptr}, {"message", e.text}, {"param", nullptr}});
  };
  stream_events(state, res, std::move(lease), std::move(req), std::move(f));
}

}  // namespace

void register_responses_api(httplib::Server& http, ServerState& state) {
  auto* s = &state;
  http.Post("/v1/responses", guarded(O, [s](const auto& q, auto& r) { responses(*s, q, r); }));
}

}  // namespace airlock::server
