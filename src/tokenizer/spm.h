// SentencePiece-style BPE (tokenizer.ggml.model = "llama"): start from UTF-8 characters, merge
// the adjacent pair whose joined text is the highest-scoring token, fall back to <0xNN> byte
// tokens for pieces that are not tokens.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace airlock::tokenizer {

class SpmTokenizer {
 public:
  explicit SpmTokenizer(const Vocab& vocab) : vocab_(vocab) {}

  // Appends the tokens of `text`, which must already have spaces replaced by U+2581.
  void encode(std::string_view text, std::vector<int32_t>& out) const;

 private:
  const Vocab& vocab_;
};

// Replaces ' ' with U+2581 ("▁"), SentencePiece's visible space.
std::string escape_spaces(std::string_view text);

}  // namespace airlock::tokenizer
