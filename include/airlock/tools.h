// Tool calling at the engine level: a grammar under which a model either answers in plain text or
// calls one of the given tools (or, with `parallel`, one or more of them, one after the other)
// with arguments valid for that tool's parameters schema, and the parser that turns such calls
// back into {name, arguments}.
//
// Server use (/api/chat, /v1/chat/completions with `tools`):
//   opts.grammar = airlock::tool_call_grammar(request["tools"].dump());   // throws -> HTTP 400
//   model->compile_constraint(opts.grammar, "");                          // cached per model
//   auto r = session->generate(prompt, opts, on_text);
//   if (auto call = airlock::parse_tool_call(r.text)) -> tool_calls: [{function: {name, arguments}}]
//   else -> plain assistant content
// The call is the generic JSON shape {"name": "<tool>", "arguments": {...}}; `syntax` wraps it in
// a model's own markers (e.g. Qwen's "<tool_call>\n" ... "\n</tool_call>") when they are text.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace airlock {

struct ToolCallSyntax {
  std::string prefix;  // text before the JSON call; its first byte must be ASCII
  std::string suffix;  // text after it
};

struct ToolCall {
  std::string name;
  nlohmann::ordered_json arguments;  // an object, valid for the tool's parameters schema
};

// GBNF for `tools`, the OpenAI function-tool array as JSON text:
//   [{"type": "function", "function": {"name": ..., "description": ..., "parameters": {schema}}}]
// (a missing "parameters" means no arguments: {}). Each tool's $defs/definitions and $refs are
// kept working. With allow_text, the reply may instead be plain text that does not start with the
// call's first character (nor with white space); without it, a call is required. Throws
// airlock::Error naming the tool and field ("tools[1].function.parameters: unsupported keyword
// ...") for a bad or unsupported tool. With `parallel`, a call may be followed by more calls,
// each on a new line ("\n" between one call's suffix and the next call's prefix), as Qwen2.5 and
// Hermes templates render several calls of one turn.
std::string tool_call_grammar(std::string_view tools_json, const ToolCallSyntax& syntax = {},
                              bool allow_text = true, bool parallel = false);

// The calls in a reply generated under tool_call_grammar (white space around and between them
// ignored, a missing suffix tolerated), in order; empty when the reply is plain text or anything
// in it is not a well-formed call.
std::vector<ToolCall> parse_tool_calls(std::string_view text, const ToolCallSyntax& syntax = {});
// The reply as exactly one call; nullopt for plain text, a malformed call or several calls.
std::optional<ToolCall> parse_tool_call(std::string_view text, const ToolCallSyntax& syntax = {});

}  // namespace airlock
