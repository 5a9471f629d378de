// UTF-8 helpers shared by the tokenizers and the stream decoder.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace airlock::tokenizer {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Sequence length implied by a lead byte alone (1 for stray continuation bytes), the way the
// reference SentencePiece/BPE symbol splitter walks text.
inline size_t utf8_len_from_lead(uint8_t b) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[b >> 4];
}

// Decodes the code point at s[pos] and advances pos. A byte that does not start a valid sequence
// (stray continuation, truncated, overlong, surrogate, above U+10FFFF) yields U+FFFD and advances
// by exactly one byte.
uint32_t utf8_decode(std::string_view s, size_t& pos);

// Copy of s with every byte that is not part of a valid sequence replaced by U+FFFD (one per
// byte, as the reference BPE tokenizer reads its input).
std::string utf8_sanitize(std::string_view s);

// Copy of s with each maximal invalid subsequence replaced by one U+FFFD (Unicode's
// recommended practice, as Python's errors="replace"): for display text.
std::string utf8_replace_invalid(std::string_view s);

// Number of bytes at the end of s that form the start of a valid but incomplete sequence
// (0 to 3): what a streaming decoder must hold back until more bytes arrive.
size_t utf8_incomplete_tail(std::string_view s);

}  // namespace airlock::tokenizer
