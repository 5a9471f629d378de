// OpenAI's Responses API request, turned into what the chat routes already take: `instructions`
// and `input` (a string, or message / function_call / function_call_output items) become chat
// messages for the model's template, its flat function tools the chat-completions form, and
// `text.format` a response_format.
#pragma once
#include <nlohmann/json.hpp>

namespace airlock::server {

struct ResponsesChat {
  nlohmann::ordered_json messages;         // for render_chat
  nlohmann::ordered_json tools;            // chat-completions function tools; null: none
  nlohmann::ordered_json response_format;  // chat-completions form; null: plain text
};

// Throws airlock::Error naming the field ("input[2].content[0]: input_image parts are not
// supported") for anything it cannot honour.
ResponsesChat read_responses_chat(const nlohmann::ordered_json& body);

}  // namespace airlock::server
