// SentencePiece-style BPE (tokenizer.ggml.model = "llama"): start from UTF-8 characters, merge
// the adjacent pair whose joined text is the highest-scoring token, fall back to <0xNN> byte
// tokens for pieces that are not tokens.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "tokenizer/vocab.h"

namespace airlock::tokenizer {

class SpmTokenizer {
 public:
  explicit SpmTokenizer(const Vocab& vocab);

  // Appends the tokens of `text`, which must already have spaces replaced by U+2581.
  void encode(std::string_view text, std::vector<int32_t>& out) const;

 private:
  void encode_segment(std::string_view text, std::vector<int32_t>& out) const;

  const Vocab& vocab_;
  // Symbols (UTF-8 characters) that some token continues with U+2581. Everywhere else, a
  // U+2581 after another symbol starts a piece no merge can cross, so text is tokenised in
  // independent words (and repeated words are looked up instead of merged again).
  std::unordered_set<std::string, StringHash, std::equal_to<>> joins_space_;
};

// Replaces ' ' with U+2581 ("▁"), SentencePiece's visible space.
std::string escape_spaces(std::string_view text);

}  // namespace airlock::tokenizer
