// The engine's view of a model's tokenizer: text to ids and back, end-of-generation tokens, and a
// streaming decoder for the generation loop. The one file that knows the tokenizer module's API.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/constraint.h"
#include "engine/session.h"
#include "gguf/gguf.h"

namespace airlock::tokenizer {
class Tokenizer;
}

namespace airlock::engine {

// Every token's raw bytes with the end and control ids, for a constraint's token trie (also used
// by the server, which holds its own tokenizer).
VocabPieces vocab_pieces(const tokenizer::Tokenizer& tok);
// One generation's token-to-text callbacks over `tok` (which must outlive them).
TokenText token_text(const tokenizer::Tokenizer& tok);

class TextCodec {
 public:
  // Throws airlock::Error if the file's tokenizer metadata is missing or unusable.
  explicit TextCodec(const gguf::File& file);
  ~TextCodec();

  std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const;
  std::string decode(std::span<const int32_t> tokens) const;
  bool is_end(int32_t token) const;
  int32_t bos() const;
  int32_t eos() const;
  // Callbacks for one generation, sharing one streaming decoder (held by the callbacks).
  TokenText stream() const;
  // Every token's raw bytes with the end and control ids, for the constraint's token trie.
  VocabPieces vocab_pieces() const;
  const tokenizer::Tokenizer& tokenizer() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace airlock::engine
