// Turns a request into prompt tokens: chat messages through the model's Jinja chat template,
// /api/generate's prompt and system the same way (as one user turn), raw prompts as they are, and a
// request's own `template` in the familiar server's Go-template syntax (the subset below).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/runner.h"

namespace airlock::server {

// messages: [{role, content}, ...], tool turns included (see prepare_tool_messages); a Modelfile
// SYSTEM is put first when no system message is given. `tools` (null: none) is the template's
// `tools` variable, `extra` further variables (null: none). Throws airlock::Error for bad messages
// or a failing template.
std::string render_chat(const Runner& r, nlohmann::ordered_json messages,
                        const nlohmann::ordered_json& tools = nullptr, const nlohmann::ordered_json& extra = nullptr);

// /api/generate without raw: `system` (else the Modelfile's) and `prompt` as a chat turn.
std::string render_generate(const Runner& r, const std::string& prompt, const std::string& system,
                            const nlohmann::ordered_json& extra = nullptr);

// A Go template using only {{ .System }}, {{ .Prompt }}, {{ .Response }} and
// {{ if .X }}...{{ else }}...{{ end }} (trim markers "{{-"/"-}}" honoured). Anything else throws
// airlock::Error naming the action.
std::string render_go_template(const std::string& tmpl, const std::string& system, const std::string& prompt);

// `suffix` with a prompt: the fill-in-the-middle prompt of a code model. Throws airlock::Error for a
// model whose vocabulary has no FIM tokens.
std::vector<int32_t> fill_in_middle_prompt(const Runner& r, const std::string& prefix, const std::string& suffix);

// Tokens with BOS as the model asks (once, even if the template wrote its text) and the text of
// control tokens recognised (templates write them).
std::vector<int32_t> tokenize_prompt(const Runner& r, const std::string& text);

// The system prompt a chat is rendered with: its first message's content when that is a system
// message, else the model's SYSTEM (render_chat adds it then); "" for none.
std::string leading_system(const Runner& r, const nlohmann::ordered_json& messages);

// How many leading tokens of `prompt` (the tokens of `text`) hold its BOS and the system prompt
// `system` as rendered in `text`: what a truncated prompt and a shifted context keep by default.
int64_t system_prefix_tokens(const Runner& r, const std::string& text, const std::vector<int32_t>& prompt,
                             const std::string& system);

}  // namespace airlock::server
