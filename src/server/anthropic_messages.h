// Anthropic's Messages API request, turned into what the chat routes already take: chat messages
// for the model's template (system first, tool_use blocks as assistant tool_calls, tool_result
// blocks as tool messages), OpenAI function tools and an OpenAI tool_choice.
#pragma once
#include <nlohmann/json.hpp>

namespace airlock::server {

struct AnthropicChat {
  nlohmann::ordered_json messages;     // for render_chat
  nlohmann::ordered_json tools;        // OpenAI function-tool array; null: none
  nlohmann::ordered_json tool_choice;  // OpenAI's form; null: auto
  bool parallel = true;                // tool_choice.disable_parallel_tool_use false
};

// Reads `system`, `messages`, `tools` and `tool_choice` of a /v1/messages (or count_tokens) body.
// Throws airlock::Error naming the field ("messages[1].content[0]: image blocks are not
// supported") for anything it cannot honour.
AnthropicChat read_anthropic_chat(const nlohmann::ordered_json& body);

}  // namespace airlock::server
