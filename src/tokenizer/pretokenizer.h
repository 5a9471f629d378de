// Byte-level BPE pre-tokenisation: the regular expressions selected by tokenizer.ggml.pre, run
// with PCRE2 in UTF + UCP mode (JIT-compiled) so \p{L}, \p{N}, \p{P} are real Unicode classes.
#pragma once
#include <memory>
#include <string_view>
#include <vector>

namespace airlock::tokenizer {

class PreTokenizer {
 public:
  // Unknown names get the reference's default expressions.
  explicit PreTokenizer(std::string_view pre);
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // Splits valid UTF-8 `text` into pieces (views into text). Each expression in turn splits
  // every piece left by the previous one; text between matches is kept as pieces of its own.
  void split(std::string_view text, std::vector<std::string_view>& out) const;

  // Whether the reference skips merging for a piece that already is a whole token (Llama 3).
  bool ignore_merges() const { return ignore_merges_; }

 private:
  struct Regex;
  std::vector<std::unique_ptr<Regex>> regexes_;
  bool ignore_merges_ = false;
};

}  // namespace airlock::tokenizer
