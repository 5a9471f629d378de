// Byte-level BPE (tokenizer.ggml.model = "gpt2"): pre-tokenise with the model's expressions,
// map bytes to GPT-2 characters, then apply merges lowest rank first.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/merge_table.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/vocab.h"

namespace airlock::gguf {
class File;
}

namespace airlock::tokenizer {

class BpeTokenizer {
 public:
  // Reads tokenizer.ggml.merges; throws airlock::Error on malformed entries.
  BpeTokenizer(const Vocab& vocab, const gguf::File& file);

  // Appends the tokens of one raw-text fragment (any bytes; invalid UTF-8 is replaced by
  // U+FFFD first, as the reference does).
  void encode(std::string_view text, std::vector<int32_t>& out) const;

 private:
  int32_t intern(std::string_view s);
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;
  void emit(int32_t symbol, std::vector<int32_t>& out) const;

  const Vocab& vocab_;
  PreTokenizer pre_;
  // Symbols are vocab ids, extended past n_vocab by strings that merges produce or consume
  // but the vocab lacks (the reference still merges through them).
  TokenMap extra_id_;
  std::vector<std::string> extra_text_;
  int32_t byte_symbol_[256];
  MergeTable merges_;
};

}  // namespace airlock::tokenizer
