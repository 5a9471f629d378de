#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/wordpiece.h"

#include <airlock/error.h>
#include <pcre2.h>

#include <algorithm>

#include "common/utf8.h"
#include "tokenizer/unicode_tables.h"
#include "tokenizer/utf8.h"

namespace airlock::tokenizer {

namespace {

enum class CharClass { Whitespace, Dropped, Alone, Word };

// Group 1: Unicode White_Space. Group 2: NUL, U+FFFD and other/control characters (\p{C}),
// which BERT removes. Group 3: characters that form a word on their own: punctuation, ASCII
// symbols and CJK ideographs (the ranges BERT uses, including its 2B920 typo for 2B820).
constexpr const char* kClasses =
    R"(^(?:([\t-\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]))"
    R"(|([\x{0}\x{FFFD}]|\p{C}))"
    R"(|(\p{P}|(?=\p{S})[\x{0}-\x{7E}]|[\x{4E00}-\x{9FFF}\x{3400}-\x{4DBF}\x{20000}-\x{2A6DF})"
    R"(\x{2A700}-\x{2B73F}\x{2B740}-\x{2B81F}\x{2B920}-\x{2CEAF}\x{F900}-\x{FAFF}\x{2F800}-\x{2FA1F}])))";

}  // namespace

struct WordPieceTokenizer::Classifier {
  pcre2_code* code = nullptr;
  Classifier() {
    int err = 0;
    PCRE2_SIZE off = 0;
    code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kClasses), PCRE2_ZERO_TERMINATED,
                         PCRE2_UTF | PCRE2_UCP, &err, &off, nullptr);
    if (!code) throw Error("wordpiece: character class expression does not compile");
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  }
  ~Classifier() { pcre2_code_free(code); }

  CharClass operator()(uint32_t cp, pcre2_match_data* md) const {
    std::string s;
    append_utf8(s, cp);
    const int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), 0,
                               PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc < 0) return CharClass::Word;
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    if (rc >= 2 && ov[2] != PCRE2_UNSET) return CharClass::Whitespace;
    if (rc >= 3 && ov[4] != PCRE2_UNSET) return CharClass::Dropped;
    return CharClass::Alone;
  }
};

WordPieceTokenizer::WordPieceTokenizer(const Vocab& vocab)
    : vocab_(vocab), classify_(std::make_unique<Classifier>()) {}

WordPieceTokenizer::~WordPieceTokenizer() = default;

std::vector<std::string> WordPieceTokenizer::split_words(std::string_view text) const {
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> md(
      pcre2_match_data_create_from_pattern(classify_->code, nullptr), &pcre2_match_data_free);
  if (!md) throw Error("wordpiece: out of memory");
  std::vector<std::string> words(1);
  size_t pos = 0;
  while (pos < text.size()) {
    // Accents go with the first code point of the canonical decomposition.
    const uint32_t cp = nfd_first(utf8_decode(text, pos));
    switch ((*classify_)(cp, md.get())) {
      case CharClass::Whitespace:
        if (!words.back().empty()) words.emplace_back();
        break;
      case CharClass::Dropped:
        break;
      case CharClass::Alone:
        if (!words.back().empty()) words.emplace_back();
        append_utf8(words.back(), to_lower(cp));
        words.emplace_back();
        break;
      case CharClass::Word:
        append_utf8(words.back(), to_lower(cp));
        break;
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

void WordPieceTokenizer::encode(std::string_view text, std::vector<int32_t>& out) const {
  for (const std::string& word : split_words(text)) {
    const std::string w = "\xe2\x96\x81" + word;  // word-initial pieces carry U+2581
    const size_t first = out.size();
    // Greedy longest match; a word with any unmatched position becomes a single [UNK].
    for (size_t i = 0; i < w.size();) {
      size_t j = std::min(w.size(), i + vocab_.max_token_len);
      int32_t id = -1;
      for (; j > i; --j)
        if ((id = vocab_.find(std::string_view(w).substr(i, j - i))) >= 0) break;
      if (id < 0) {
        out.resize(first);
        break;
      }
      out.push_back(id);
      i = j;
    }
    if (out.size() == first && vocab_.unk >= 0) out.push_back(vocab_.unk);
  }
}

}  // namespace airlock::tokenizer
