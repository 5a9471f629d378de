// What a request asks of a thinking model, on both APIs: native `think` (true/false, or an effort
// "low"/"medium"/"high", which means true: airlock has no effort levels) and OpenAI
// `reasoning_effort`. A model thinks when its chat template mentions <think> or enable_thinking.
// Such a model's answers are always split: its block comes back as `thinking` (native) or
// `reasoning_content` (OpenAI), never inside the answer. `think: false` renders the template's
// no-think variant (`enable_thinking` false) where it has one, and drops the block otherwise.
#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "server/generation.h"
#include "server/runner.h"

namespace airlock::server {

// The native `think` field; nullopt when absent or null. Throws airlock::Error for another value.
std::optional<bool> read_think(const nlohmann::ordered_json& body);
// OpenAI's `reasoning_effort`: "none" is false, "minimal"/"low"/"medium"/"high" true.
std::optional<bool> read_reasoning_effort(const nlohmann::ordered_json& body);

bool template_thinks(const std::string& template_source);

// The template variables a request's think choice sets (null when none): enable_thinking where
// the template reads it. Throws airlock::Error (400) for think true on a model that does not think.
nlohmann::ordered_json think_variables(const Runner& r, std::optional<bool> think);
// Sets req.think from the rendered prompt: the block is split off for a thinking model, and
// dropped (req.hide_thinking) when the request said think false.
void set_thinking(const Runner& r, const std::string& rendered, std::optional<bool> think, GenRequest& req);

}  // namespace airlock::server
