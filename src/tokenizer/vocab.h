// The tokenizer vocabulary as read from GGUF metadata (tokenizer.ggml.*): token texts, scores,
// attributes, special token ids and the flags that steer encoding. Shared by all three models.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/token_index.h"

namespace airlock::gguf {
class File;
}

namespace airlock::tokenizer {

enum class ModelKind { SPM, BPE, WPM };

// Token attributes; the first six come from tokenizer.ggml.token_type, the strip flags from
// per-model rules (they eat whitespace next to a special token when splitting text).
enum TokenAttr : uint32_t {
  kAttrNormal = 1u << 0,
  kAttrUnknown = 1u << 1,
  kAttrControl = 1u << 2,
  kAttrUserDefined = 1u << 3,
  kAttrUnused = 1u << 4,
  kAttrByte = 1u << 5,
  kAttrLstrip = 1u << 6,
  kAttrRstrip = 1u << 7,
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TokenMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

struct Vocab {
  ModelKind kind = ModelKind::SPM;
  std::string model;  // tokenizer.ggml.model
  std::string pre;    // tokenizer.ggml.pre ("default" when absent)

  std::vector<std::string> text;
  std::vector<float> score;
  std::vector<uint32_t> attr;
  TokenIndex to_id;  // text -> id; the last of duplicate texts wins, as in the reference

  int32_t bos = -1, eos = -1, eot = -1, eom = -1, unk = -1, sep = -1, pad = -1;
  std::vector<int32_t> eog;  // sorted ids that end generation
  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = false;
  // Whether decode() removes the spaces the tokenizer put before punctuation (" ," -> ",").
  bool clean_spaces = false;

  // Ids of CONTROL, USER_DEFINED and UNKNOWN tokens, longest text first: the candidates for
  // splitting special tokens out of the input.
  std::vector<int32_t> special;
  // SPM byte-fallback tokens <0xNN>, -1 where the vocab lacks one.
  std::vector<int32_t> byte_token;
  size_t max_token_len = 0;

  int32_t size() const { return static_cast<int32_t>(text.size()); }
  int32_t find(std::string_view s) const { return to_id.find(text, s); }
  bool valid(int32_t id) const { return id >= 0 && id < size(); }
};

// Reads and validates the vocabulary; throws airlock::Error naming the key and the problem.
Vocab load_vocab(const gguf::File& file);

}  // namespace airlock::tokenizer
