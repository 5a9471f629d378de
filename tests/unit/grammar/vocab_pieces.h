// Raw byte pieces of a GGUF vocabulary, for tests and benchmarks until the tokenizer's
// token_text() is available: GPT-2 style byte-level BPE (the byte-to-unicode mapping undone) and
// SentencePiece (U+2581 as space, <0xXX> byte tokens).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace airlock::grammar::testing {

struct VocabPieces {
  std::vector<std::string> pieces;
  std::vector<int32_t> end_tokens;      // eos (and eot when present)
  std::vector<int32_t> control_tokens;  // token type 3 (control) and 5 (unused)
};

VocabPieces load_vocab_pieces(const std::filesystem::path& gguf);

}  // namespace airlock::grammar::testing
