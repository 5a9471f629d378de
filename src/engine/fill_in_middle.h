// Fill-in-the-middle: code models trained to write what goes between a prefix and a suffix (an
// editor's cursor) read them between three special tokens. The prompt is laid out prefix-suffix-
// middle, as llama.cpp and the familiar server do for such models: [BOS] <pre> prefix <suf>
// suffix <mid>, and the model generates the middle.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

namespace airlock::engine {

struct FimTokens {
  int32_t prefix, suffix, middle;
};

// The model's FIM tokens: the GGUF's tokenizer.ggml.fim_{pre,suf,mid}_token_id (or the older
// prefix/suffix/middle_token_id), else tokens spelled as the common code vocabularies spell them
// (<|fim_prefix|>, <fim_prefix>, <fim-prefix>, CodeLlama's ▁<PRE>). nullopt: the model has none.
std::optional<FimTokens> find_fim_tokens(const gguf::File& file, const tokenizer::Tokenizer& tok);

std::vector<int32_t> fim_prompt(const tokenizer::Tokenizer& tok, const FimTokens& fim, std::string_view prefix,
                                std::string_view suffix);

}  // namespace airlock::engine
