// Tool calling on the chat routes: a request's `tools` (and OpenAI's `tool_choice`) become what
// the chat template shows the model and the grammar its reply is held to (plain text or one or
// more valid calls, include/airlock/tools.h); the reply comes back as calls in each API's shape.
#pragma once
#include <airlock/tools.h>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace airlock::server {

// The markers a model's chat template wraps tool calls in, recognised from its source: Qwen2.5
// and Hermes templates teach "<tool_call>\n{...}\n</tool_call>", and a model answers best in the
// form it was trained on. Any other template gets the generic JSON call (no markers).
ToolCallSyntax tool_call_syntax(const std::string& template_source);

struct ToolSetup {
  nlohmann::ordered_json template_tools;            // the template's `tools`; null: none
  std::string gbnf;  // the grammar the reply follows; empty: the reply is not constrained
  ToolCallSyntax syntax;
  bool active() const { return !gbnf.empty(); }
};

// `tools`: null or [] (no tools) or the OpenAI function-tool array. `tool_choice` (OpenAI): null
// or "auto" (text or a call), "none" (neither tools nor grammar), "required" (a call), or
// {"type": "function", "function": {"name": X}} (a call of X). `parallel`: the reply may hold
// several calls (OpenAI's parallel_tool_calls); else at most one. Throws airlock::Error naming
// the field, with the engine's message for a bad tool.
ToolSetup tool_setup(const nlohmann::ordered_json& tools, const nlohmann::ordered_json& tool_choice,
                     const std::string& template_source, bool parallel = true);

// Readies tool turns for a chat template: assistant tool_calls whose function.arguments is JSON
// text (OpenAI sends a string) get the parsed object templates expect, and a native tool
// result's `tool_name` is also given as `name`. Throws airlock::Error
// "messages[i].tool_calls[j].function.arguments: ..." for arguments that are not a JSON object.
void prepare_tool_messages(nlohmann::ordered_json& messages);

// The reply's calls, in order; empty for a plain-text reply.
std::vector<ToolCall> reply_tool_calls(const ToolSetup& setup, const std::string& text);

// tool_calls entries: native {function: {name, arguments: {...}}}, OpenAI {id, type: "function",
// function: {name, arguments: "<JSON text>"}} (with `index` for a stream delta when given).
nlohmann::json native_tool_call(const ToolCall& call);
nlohmann::json openai_tool_call(const ToolCall& call, const std::string& id, std::optional<int> index = {});
// A fresh OpenAI tool call id, "call_" and 24 random alphanumerics.
std::string new_tool_call_id();
// `prefix` and 24 random alphanumerics (Anthropic's "toolu_" and "msg_" ids).
std::string random_id(const std::string& prefix);

// Streams a reply generated under a tool grammar: a reply that starts like a call is held back
// until the end (its JSON text must not reach the client as content) and then sent as all its
// calls at once; plain text passes through.
// The grammar keeps text from starting with the call's first character, so one byte decides.
class ToolReplyStream {
 public:
  explicit ToolReplyStream(ToolCallSyntax syntax) : syntax_(std::move(syntax)) {}
  // Content to send now for this piece ("" while undecided or holding a call).
  std::string feed(const std::string& piece);
  // At the end: the calls, when the reply was calls (else empty).
  std::vector<ToolCall> finish() const;
  // Held text that turned out not to be well-formed calls (cut short): send it as content.
  std::string unsent_text() const;

 private:
  enum class State { Undecided, Call, Text };
  ToolCallSyntax syntax_;
  State state_ = State::Undecided;
  std::string held_;
};

}  // namespace airlock::server
