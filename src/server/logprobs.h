// Log-probabilities as the requests ask for them and the responses carry them, in the shapes of
// the familiar native server and of OpenAI's chat and legacy completions. The numbers come from
// the engine (Sequence::sample): the distribution the sampler saw after penalties and the
// constraint's mask, before temperature and truncation.
#pragma once
#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/generation.h"

namespace airlock::server {

// The most alternatives a request may ask for per token, as OpenAI allows.
inline constexpr int kMaxTopLogprobs = 20;

// Native and OpenAI chat: `logprobs` (bool) and `top_logprobs` (0..20). With `top_needs_logprobs`
// (OpenAI) top_logprobs without logprobs true is refused; natively it turns logprobs on.
// Throws airlock::Error naming the field for a wrong type or range.
void read_logprobs(const nlohmann::ordered_json& body, GenRequest& req, bool top_needs_logprobs);
// OpenAI completions: `logprobs` is the number of alternatives (0..20); null or absent: off.
void read_completion_logprobs(const nlohmann::ordered_json& body, GenRequest& req);

// [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}] (top_logprobs only when asked).
nlohmann::json native_logprobs(const std::vector<TokenLogprob>& tokens);
// {content: [{token, logprob, bytes, top_logprobs}], refusal: null}
nlohmann::json openai_chat_logprobs(const std::vector<TokenLogprob>& tokens);
// {tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset}; `offset` is the byte
// offset of the first token in the completion's text and advances past these tokens.
nlohmann::json openai_completion_logprobs(const std::vector<TokenLogprob>& tokens, size_t& offset);

}  // namespace airlock::server
