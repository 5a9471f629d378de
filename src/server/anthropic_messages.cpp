#include "server/anthropic_messages.h"

#include <airlock/error.h>

#include <map>
#include <string>

#include "common/json_field.h"

namespace airlock::server {

namespace {

using ojson = nlohmann::ordered_json;

// A string, or an array of text blocks joined; `where` names the field in errors.
std::string text_of(const ojson& content, const std::string& where) {
  if (content.is_string()) return content.get<std::string>();
  if (content.is_null()) return "";
  if (!content.is_array()) throw Error(where + ": expected a string or an array of text blocks");
  std::string text;
  for (size_t i = 0; i < content.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (!content[i].is_object() || content[i].value("type", "") != "text")
      throw Error(at + ": only text blocks are supported here");
    text += json_required_string(content[i], "text", at);
  }
  return text;
}

// One turn's content blocks into chat messages. Tool results come first, as the tool messages
// that answer the previous assistant turn's calls; `names` maps tool_use ids to tool names.
void read_turn(const ojson& m, const std::string& where, std::map<std::string, std::string>& names, ojson& out) {
  if (!m.is_object()) throw Error(where + ": expected an object with role and content");
  const std::string role = m.value("role", "");
  if (role != "user" && role != "assistant") throw Error(where + ".role: expected \"user\" or \"assistant\"");
  const ojson content = m.value("content", ojson());
  if (content.is_string()) {
    out.push_back({{"role", role}, {"content", content}});
    return;
  }
  if (!content.is_array()) throw Error(where + ".content: expected a string or an array of content blocks");
  std::string text;
  ojson calls = ojson::array();
  for (size_t j = 0; j < content.size(); ++j) {
    const ojson& block = content[j];
    const std::string at = where + ".content[" + std::to_string(j) + "]";
    const std::string type = block.is_object() ? block.value("type", "") : "";
    if (type == "text") {
      text += json_required_string(block, "text", at);
    } else if (type == "tool_use" && role == "assistant") {
      const std::string id = json_required_string(block, "id", at);
      const std::string name = json_required_string(block, "name", at);
      const ojson input = block.value("input", ojson::object());
      if (!input.is_object()) throw Error(at + ".input: expected an object");
      names[id] = name;
      calls.push_back({{"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", input}}}});
    } else if (type == "tool_result" && role == "user") {
      const std::string id = json_required_string(block, "tool_use_id", at);
      std::string result = text_of(block.value("content", ojson()), at + ".content");
      if (block.value("is_error", false)) result = "Error: " + result;
      ojson msg = {{"role", "tool"}, {"tool_call_id", id}, {"content", result}};
      if (auto n = names.find(id); n != names.end()) msg["name"] = n->second;
      out.push_back(std::move(msg));
    } else if ((type == "thinking" || type == "redacted_thinking") && role == "assistant") {
      // An earlier turn's reasoning: chat templates drop it from history too.
    } else if (type == "image" || type == "document") {
      throw Error(at + ": " + type + " blocks are not supported");
    } else {
      throw Error(at + ".type: \"" + type + "\" blocks are not supported in a " + role + " message");
    }
  }
  if (role == "assistant") {
    ojson msg = {{"role", "assistant"}, {"content", text}};
    if (!calls.empty()) msg["tool_calls"] = std::move(calls);
    out.push_back(std::move(msg));
  } else if (!text.empty() || out.empty() || out.back().value("role", "") != "tool") {
    out.push_back({{"role", "user"}, {"content", text}});
  }
}

ojson read_tools(const ojson& tools) {
  if (tools.is_null()) return nullptr;
  if (!tools.is_array()) throw Error("tools: expected an array");
  ojson out = ojson::array();
  for (size_t i = 0; i < tools.size(); ++i) {
    const ojson& t = tools[i];
    const std::string where = "tools[" + std::to_string(i) + "]";
    if (!t.is_object()) throw Error(where + ": expected an object");
    // Anthropic's own server tools (web search, bash, text editor, ...) carry a versioned type.
    if (t.contains("type") && t["type"] != "custom")
      throw Error(where + ".type: only custom tools (name, input_schema) are supported");
    ojson fn = {{"name", json_required_string(t, "name", where)}};
    if (t.contains("description")) fn["description"] = t["description"];
    if (!t.contains("input_schema")) throw Error(where + ".input_schema: missing");
    fn["parameters"] = t["input_schema"];
    out.push_back({{"type", "function"}, {"function", std::move(fn)}});
  }
  return out;
}

}  // namespace

AnthropicChat read_anthropic_chat(const ojson& body) {
  AnthropicChat chat;
  chat.messages = ojson::array();
  if (auto s = body.find("system"); s != body.end()) {
    const std::string system = text_of(*s, "system");
    if (!system.empty()) chat.messages.push_back({{"role", "system"}, {"content", system}});
  }
  const ojson messages = body.value("messages", ojson());
  if (!messages.is_array() || messages.empty()) throw Error("messages: expected a non-empty array");
  std::map<std::string, std::string> names;
  for (size_t i = 0; i < messages.size(); ++i)
    read_turn(messages[i], "messages[" + std::to_string(i) + "]", names, chat.messages);
  chat.tools = read_tools(body.value("tools", ojson()));
  const ojson choice = body.value("tool_choice", ojson());
  if (choice.is_null()) return chat;
  if (!choice.is_object()) throw Error("tool_choice: expected an object with a type");
  const std::string type = choice.value("type", "");
  if (type == "auto") chat.tool_choice = "auto";
  else if (type == "any") chat.tool_choice = "required";
  else if (type == "none") chat.tool_choice = "none";
  else if (type == "tool") chat.tool_choice = {{"type", "function"}, {"function", {{"name", json_required_string(choice, "name", "tool_choice")}}}};
  else throw Error("tool_choice.type: expected \"auto\", \"any\", \"tool\" or \"none\"");
  if (auto d = choice.find("disable_parallel_tool_use"); d != choice.end() && !d->is_null()) {
    if (!d->is_boolean()) throw Error("tool_choice.disable_parallel_tool_use: expected true or false");
    chat.parallel = !d->get<bool>();
  }
  return chat;
}

}  // namespace airlock::server
