#include "engine/fill_in_middle.h"

#include <array>
#include <string>

namespace airlock::engine {

namespace {

std::optional<int32_t> metadata_id(const gguf::File& file, const tokenizer::Tokenizer& tok, const char* key,
                                   const char* old_key) {
  auto id = file.get_int(key);
  if (!id) id = file.get_int(old_key);
  if (!id || *id < 0 || *id >= tok.n_vocab()) return std::nullopt;
  return static_cast<int32_t>(*id);
}

}  // namespace

std::optional<FimTokens> find_fim_tokens(const gguf::File& file, const tokenizer::Tokenizer& tok) {
  const auto pre = metadata_id(file, tok, "tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.prefix_token_id");
  const auto suf = metadata_id(file, tok, "tokenizer.ggml.fim_suf_token_id", "tokenizer.ggml.suffix_token_id");
  const auto mid = metadata_id(file, tok, "tokenizer.ggml.fim_mid_token_id", "tokenizer.ggml.middle_token_id");
  if (pre && suf && mid) return FimTokens{*pre, *suf, *mid};
  // Older conversions carry no ids: look for the spellings (one vocabulary pass, at load).
  static const std::array<std::array<const char*, 3>, 4> kSpellings = {{
      {"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"},
      {"<fim_prefix>", "<fim_suffix>", "<fim_middle>"},
      {"<fim-prefix>", "<fim-suffix>", "<fim-middle>"},
      {"\u2581<PRE>", "\u2581<SUF>", "\u2581<MID>"},
  }};
  for (const auto& names : kSpellings) {
    std::array<int32_t, 3> ids = {-1, -1, -1};
    for (int32_t id = 0; id < tok.n_vocab(); ++id)
      for (size_t k = 0; k < 3; ++k)
        if (tok.vocab_text(id) == names[k]) ids[k] = id;
    if (ids[0] >= 0 && ids[1] >= 0 && ids[2] >= 0) return FimTokens{ids[0], ids[1], ids[2]};
  }
  return std::nullopt;
}

std::vector<int32_t> fim_prompt(const tokenizer::Tokenizer& tok, const FimTokens& fim, std::string_view prefix,
                                std::string_view suffix) {
  std::vector<int32_t> out;
  if (tok.add_bos() && tok.bos() >= 0) out.push_back(tok.bos());
  out.push_back(fim.prefix);
  for (int32_t t : tok.encode(prefix, false, false)) out.push_back(t);
  out.push_back(fim.suffix);
  for (int32_t t : tok.encode(suffix, false, false)) out.push_back(t);
  out.push_back(fim.middle);
  return out;
}

}  // namespace airlock::engine
