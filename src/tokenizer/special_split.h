// Splits input text around special tokens before the model's own tokenizer sees it.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace airlock::tokenizer {

// Either a special token (token >= 0) or a run of raw text to tokenize (token == -1).
struct Fragment {
  int32_t token = -1;
  std::string_view text;
};

// Finds the texts of special tokens in `text`, longest token first, as the reference does.
// USER_DEFINED tokens are always recognised (they are ordinary vocabulary added by the model
// author); CONTROL and UNKNOWN tokens only when parse_special is true, so that raw user text
// containing e.g. "<|eot_id|>" stays text.
std::vector<Fragment> split_special(const Vocab& vocab, std::string_view text, bool parse_special);

}  // namespace airlock::tokenizer
