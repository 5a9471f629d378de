// WordPiece (tokenizer.ggml.model = "bert"): BERT's basic tokenisation (accent stripping,
// lower-casing, splitting on whitespace, punctuation and CJK characters), then greedy
// longest-match-first over each word. The GGUF vocab marks word-initial pieces with a leading
// U+2581 and stores "##" continuations bare.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace airlock::tokenizer {

class WordPieceTokenizer {
 public:
  explicit WordPieceTokenizer(const Vocab& vocab);
  ~WordPieceTokenizer();

  void encode(std::string_view text, std::vector<int32_t>& out) const;

  // The words BERT's basic tokeniser makes of text (exposed for tests).
  std::vector<std::string> split_words(std::string_view text) const;

 private:
  struct Classifier;
  const Vocab& vocab_;
  std::unique_ptr<Classifier> classify_;
};

}  // namespace airlock::tokenizer
