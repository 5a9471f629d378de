#include "server/tools.h"

#include <airlock/error.h>

#include <random>

#include "common/json_depth.h"

namespace airlock::server {

namespace {

using ojson = nlohmann::ordered_json;

// The one tool of `tools` named `name`, as a one-element array; throws when there is none.
ojson only_tool(const ojson& tools, const std::string& name) {
  for (const auto& t : tools)
    if (t.is_object() && t.contains("function") && t["function"].is_object() && t["function"].value("name", "") == name)
      return ojson::array({t});
  throw Error("tool_choice.function.name: no tool named '" + name + "' in tools");
}

struct Choice {
  bool use_tools = true;
  bool allow_text = true;
  std::string only;  // a named tool the call must be of
};

Choice parse_choice(const ojson& c) {
  if (c.is_null() || c == "auto") return {};
  if (c == "none") return {false, true, ""};
  if (c == "required") return {true, false, ""};
  if (c.is_object() && c.value("type", "") == "function" && c.contains("function") && c["function"].is_object() &&
      c["function"].contains("name") && c["function"]["name"].is_string())
    return {true, false, c["function"]["name"].get<std::string>()};
  throw Error(
      "tool_choice: expected \"auto\", \"none\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}");
}

}  // namespace

ToolCallSyntax tool_call_syntax(const std::string& template_source) {
  if (template_source.find("<tool_call>") != std::string::npos) return {"<tool_call>\n", "\n</tool_call>"};
  return {};
}

ToolSetup tool_setup(const ojson& tools, const ojson& tool_choice, const std::string& template_source,
                     bool parallel) {
  const Choice choice = parse_choice(tool_choice);
  ToolSetup s;
  if (tools.is_null() || (tools.is_array() && tools.empty())) {
    if (!choice.use_tools || (choice.allow_text && choice.only.empty())) return s;
    throw Error("tool_choice: requires tools");
  }
  if (!tools.is_array()) throw Error("tools: expected an array of function tools");
  const ojson allowed = choice.only.empty() ? tools : only_tool(tools, choice.only);
  s.syntax = tool_call_syntax(template_source);
  // Checked even when tool_choice is "none": a bad tools array is the caller's mistake either way.
  std::string gbnf = tool_call_grammar(allowed.dump(), s.syntax, choice.allow_text, parallel);
  if (!choice.use_tools) return {};
  s.template_tools = tools;
  s.gbnf = std::move(gbnf);
  return s;
}

void prepare_tool_messages(ojson& messages) {
  if (!messages.is_array()) return;
  for (size_t i = 0; i < messages.size(); ++i) {
    ojson& m = messages[i];
    if (!m.is_object()) continue;
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (m.value("role", "") == "tool" && m.contains("tool_name") && !m.contains("name")) m["name"] = m["tool_name"];
    auto calls = m.find("tool_calls");
    if (calls == m.end() || calls->is_null()) continue;
    if (!calls->is_array()) throw Error(where + ".tool_calls: expected an array");
    for (size_t j = 0; j < calls->size(); ++j) {
      ojson& call = (*calls)[j];
      const std::string at = where + ".tool_calls[" + std::to_string(j) + "]";
      if (!call.is_object() || !call.contains("function") || !call["function"].is_object())
        throw Error(at + ".function: expected an object with name and arguments");
      ojson& fn = call["function"];
      if (!fn.contains("name") || !fn["name"].is_string()) throw Error(at + ".function.name: expected a string");
      ojson& args = fn["arguments"];  // a missing one becomes null, then {}
      if (args.is_string()) {
        require_json_depth_within(args.get<std::string>(), at + ".function.arguments");
        ojson parsed = ojson::parse(args.get<std::string>(), nullptr, false);
        if (parsed.is_discarded()) throw Error(at + ".function.arguments: not valid JSON");
        args = std::move(parsed);
      }
      if (args.is_null()) args = ojson::object();
      if (!args.is_object()) throw Error(at + ".function.arguments: expected a JSON object");
    }
  }
}

std::vector<ToolCall> reply_tool_calls(const ToolSetup& setup, const std::string& text) {
  if (!setup.active()) return {};
  return parse_tool_calls(text, setup.syntax);
}

nlohmann::json native_tool_call(const ToolCall& call) {
  return {{"function", {{"name", call.name}, {"arguments", nlohmann::json::parse(call.arguments.dump())}}}};
}

nlohmann::json openai_tool_call(const ToolCall& call, const std::string& id, std::optional<int> index) {
  nlohmann::json j;
  if (index) j["index"] = *index;
  j["id"] = id;
  j["type"] = "function";
  j["function"] = {{"name", call.name}, {"arguments", call.arguments.dump()}};
  return j;
}

std::string random_id(const std::string& prefix) {
  static const char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<size_t> pick(0, sizeof kChars - 2);
  std::string id = prefix;
  for (int i = 0; i < 24; ++i) id += kChars[pick(rng)];
  return id;
}

std::string new_tool_call_id() { return random_id("call_"); }

std::string ToolReplyStream::feed(const std::string& piece) {
  if (state_ == State::Text) return piece;
  held_ += piece;
  if (state_ == State::Undecided && !held_.empty()) {
    const char first = syntax_.prefix.empty() ? '{' : syntax_.prefix[0];
    state_ = held_[0] == first ? State::Call : State::Text;
  }
  if (state_ != State::Text) return "";
  std::string out;
  out.swap(held_);
  return out;
}

std::vector<ToolCall> ToolReplyStream::finish() const {
  if (state_ != State::Call) return {};
  return parse_tool_calls(held_, syntax_);
}

std::string ToolReplyStream::unsent_text() const { return finish().empty() ? held_ : ""; }

}  // namespace airlock::server
