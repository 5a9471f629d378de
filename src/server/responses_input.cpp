#include "server/responses_input.h"

#include <airlock/error.h>

#include <map>
#include <string>

#include "common/json_field.h"

namespace airlock::server {

namespace {

using ojson = nlohmann::ordered_json;

// A message item's content: a string, or input_text / output_text parts joined.
std::string content_text(const ojson& content, const std::string& where) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) throw Error(where + ": expected a string or an array of content parts");
  std::string text;
  for (size_t i = 0; i < content.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    const std::string type = content[i].is_object() ? content[i].value("type", "") : "";
    if (type == "input_text" || type == "output_text" || type == "text") text += json_required_string(content[i], "text", at);
    else throw Error(at + ": " + (type.empty() ? std::string("a part") : type + " parts") + " are not supported");
  }
  return text;
}

// Appends a call to the assistant turn being built (consecutive calls are one turn).
void add_call(ojson& out, ojson call) {
  if (out.empty() || out.back().value("role", "") != "assistant")
    out.push_back({{"role", "assistant"}, {"content", ""}});
  out.back()["tool_calls"].push_back(std::move(call));
}

ojson read_input(const ojson& input) {
  ojson out = ojson::array();
  if (input.is_string()) {
    out.push_back({{"role", "user"}, {"content", input}});
    return out;
  }
  if (!input.is_array() || input.empty()) throw Error("input: expected a string or a non-empty array of items");
  std::map<std::string, std::string> names;  // call_id -> tool name
  for (size_t i = 0; i < input.size(); ++i) {
    const ojson& item = input[i];
    const std::string where = "input[" + std::to_string(i) + "]";
    if (!item.is_object()) throw Error(where + ": expected an object");
    const std::string type = item.value("type", "message");
    if (type == "message") {
      std::string role = json_required_string(item, "role", where);
      if (role == "developer") role = "system";
      if (role != "user" && role != "assistant" && role != "system")
        throw Error(where + ".role: expected \"user\", \"assistant\", \"system\" or \"developer\"");
      out.push_back({{"role", role}, {"content", content_text(item.value("content", ojson()), where + ".content")}});
    } else if (type == "function_call") {
      const std::string call_id = json_required_string(item, "call_id", where);
      const std::string name = json_required_string(item, "name", where);
      names[call_id] = name;
      add_call(out, {{"id", call_id}, {"type", "function"},
                     {"function", {{"name", name}, {"arguments", json_required_string(item, "arguments", where)}}}});
    } else if (type == "function_call_output") {
      const std::string call_id = json_required_string(item, "call_id", where);
      const ojson& output = item.value("output", ojson());
      ojson msg = {{"role", "tool"}, {"tool_call_id", call_id},
                   {"content", output.is_string() ? output.get<std::string>() : content_text(output, where + ".output")}};
      if (auto n = names.find(call_id); n != names.end()) msg["name"] = n->second;
      out.push_back(std::move(msg));
    } else if (type == "reasoning") {
      // An earlier turn's reasoning: chat templates drop it from history too.
    } else {
      throw Error(where + ".type: \"" + type + "\" items are not supported");
    }
  }
  return out;
}

ojson read_tools(const ojson& tools) {
  if (tools.is_null() || (tools.is_array() && tools.empty())) return nullptr;
  if (!tools.is_array()) throw Error("tools: expected an array");
  ojson out = ojson::array();
  for (size_t i = 0; i < tools.size(); ++i) {
    const ojson& t = tools[i];
    const std::string where = "tools[" + std::to_string(i) + "]";
    if (!t.is_object() || t.value("type", "") != "function")
      throw Error(where + ".type: only function tools are supported (no built-in tools)");
    ojson fn = {{"name", json_required_string(t, "name", where)}};
    for (const char* k : {"description", "parameters"})
      if (t.contains(k) && !t[k].is_null()) fn[k] = t[k];
    out.push_back({{"type", "function"}, {"function", std::move(fn)}});
  }
  return out;
}

// text.format: {"type": "text"} | {"type": "json_object"} | {"type": "json_schema", "schema", ...}.
ojson read_format(const ojson& text) {
  if (text.is_null()) return nullptr;
  if (!text.is_object()) throw Error("text: expected an object");
  const ojson format = text.value("format", ojson());
  if (format.is_null()) return nullptr;
  if (!format.is_object()) throw Error("text.format: expected an object with a type");
  const std::string type = format.value("type", "");
  if (type == "text") return nullptr;
  if (type == "json_object") return {{"type", "json_object"}};
  if (type == "json_schema") {
    if (!format.contains("schema")) throw Error("text.format.schema: missing");
    return {{"type", "json_schema"}, {"json_schema", {{"name", format.value("name", "")}, {"schema", format["schema"]}}}};
  }
  throw Error("text.format.type: expected \"text\", \"json_object\" or \"json_schema\"");
}

}  // namespace

ResponsesChat read_responses_chat(const ojson& body) {
  ResponsesChat chat;
  chat.messages = ojson::array();
  if (auto s = body.find("instructions"); s != body.end() && !s->is_null()) {
    if (!s->is_string()) throw Error("instructions: expected a string");
    chat.messages.push_back({{"role", "system"}, {"content", *s}});
  }
  if (!body.contains("input")) throw Error("input: field required");
  for (auto& m : read_input(body["input"])) chat.messages.push_back(std::move(m));
  chat.tools = read_tools(body.value("tools", ojson()));
  chat.response_format = read_format(body.value("text", ojson()));
  return chat;
}

}  // namespace airlock::server
