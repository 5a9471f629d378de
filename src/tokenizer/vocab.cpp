#include "tokenizer/vocab.h"

#include <airlock/error.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "gguf/gguf.h"

namespace airlock::tokenizer {

namespace {

[[noreturn]] void fail(const gguf::File& f, const std::string& what) {
  throw Error(f.path().string() + ": " + what);
}

bool is_float_type(gguf::ValueType t) {
  return t == gguf::ValueType::FLOAT32 || t == gguf::ValueType::FLOAT64;
}
bool is_signed_type(gguf::ValueType t) {
  return t == gguf::ValueType::INT8 || t == gguf::ValueType::INT16 || t == gguf::ValueType::INT32 ||
         t == gguf::ValueType::INT64;
}
bool is_int_type(gguf::ValueType t) {
  return is_signed_type(t) || t == gguf::ValueType::UINT8 || t == gguf::ValueType::UINT16 ||
         t == gguf::ValueType::UINT32 || t == gguf::ValueType::UINT64;
}

// An array-valued key whose elements are of the given kind (INT32 stands for any integer,
// FLOAT32 for any float).
const gguf::Array* get_array(const gguf::File& f, std::string_view key,
                             gguf::ValueType elem, bool required) {
  const gguf::Value* v = f.find(key);
  if (!v) {
    if (required) fail(f, "missing " + std::string(key));
    return nullptr;
  }
  if (v->type != gguf::ValueType::ARRAY) fail(f, std::string(key) + " is not an array");
  const bool ok = elem == gguf::ValueType::FLOAT32 ? is_float_type(v->arr.elem_type())
                  : elem == gguf::ValueType::INT32 ? is_int_type(v->arr.elem_type())
                                                   : v->arr.elem_type() == elem;
  if (!ok)
    fail(f, std::string(key) + " has elements of type " + gguf::value_type_name(v->arr.elem_type()));
  return &v->arr;
}

bool get_flag(const gguf::File& f, std::string_view key, bool dflt) {
  const gguf::Value* v = f.find(key);
  if (!v) return dflt;
  if (v->type != gguf::ValueType::BOOL) fail(f, std::string(key) + " is not a bool");
  return v->as_bool();
}

// A special token id from metadata. Out-of-range values (commonly 0xFFFFFFFF for "none") leave
// the default in place, as the reference does; the default itself must fit the vocab.
void read_special_id(const gguf::File& f, std::string_view key, int32_t n_vocab, int32_t& id) {
  if (const gguf::Value* v = f.find(key)) {
    if (!v->is_integer()) fail(f, std::string(key) + " is not an integer");
    const bool negative = is_signed_type(v->type) && v->i < 0;
    const uint64_t u =
        negative ? 0 : (is_signed_type(v->type) ? static_cast<uint64_t>(v->i) : v->u);
    if (!negative && u < static_cast<uint64_t>(n_vocab)) id = static_cast<int32_t>(u);
  }
  if (id >= n_vocab) id = -1;
}

uint32_t attr_of_type(const gguf::Value& v) {
  const int64_t type = is_signed_type(v.type) ? v.i : (v.u > 255 ? -1 : static_cast<int64_t>(v.u));
  switch (type) {
    case 0:
      return 0;  // undefined
    case 1:
      return kAttrNormal;
    case 2:
      return kAttrUnknown;
    case 3:
      return kAttrControl;
    case 4:
      return kAttrUserDefined;
    case 5:
      return kAttrUnused;
    case 6:
      return kAttrByte;
    default:
      return 0;  // unknown types count as undefined, as in the reference
  }
}

// End-of-generation markers recognised by text, as chat models use them without always
// declaring them in metadata.
constexpr std::string_view kEotTexts[] = {"<|eot_id|>",
                                          "<|im_end|>",
                                          "<|end|>",
                                          "<end_of_turn>",
                                          "<|endoftext|>",
                                          "<EOT>",
                                          "_<EOT>",
                                          "<\xef\xbd\x9c"
                                          "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"};
constexpr std::string_view kEogTexts[] = {"<|eot_id|>",    "<|im_end|>", "<|end|>", "<end_of_turn>",
                                          "<|endoftext|>", "<|eom_id|>", "<EOT>",   "_<EOT>"};

void find_end_tokens(Vocab& v) {
  if (v.eot < 0) {
    for (auto t : kEotTexts) {
      if (int32_t id = v.find(t); id >= 0) {
        v.eot = id;
        v.attr[id] = kAttrControl;  // an end marker is never plain text
        break;
      }
    }
  }
  if (v.eom < 0) v.eom = v.find("<|eom_id|>");
  for (int32_t id : {v.eos, v.eot, v.eom})
    if (id >= 0) v.eog.push_back(id);
  for (auto t : kEogTexts) {
    if (int32_t id = v.find(t); id >= 0) {
      v.eog.push_back(id);
      v.attr[id] = (v.attr[id] & kAttrControl) ? v.attr[id] : kAttrControl;
    }
  }
  std::sort(v.eog.begin(), v.eog.end());
  v.eog.erase(std::unique(v.eog.begin(), v.eog.end()), v.eog.end());
}

bool name_contains(std::string name, std::initializer_list<std::string_view> needles) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (auto n : needles)
    if (name.find(n) != std::string::npos) return true;
  return false;
}

// Model-specific whitespace stripping around special tokens (Phi-3's chat markers swallow the
// newline that follows them).
void apply_strip_rules(const gguf::File& f, Vocab& v) {
  const std::string name = f.get_string("general.name").value_or("");
  if (!name_contains(name, {"phi-3", "phi3"})) return;
  for (int32_t id : v.special) v.attr[id] |= kAttrRstrip;
  if (int32_t id = v.find("</s>"); id >= 0) v.attr[id] |= kAttrRstrip;
  for (auto t : {"<unk>", "<s>", "<|endoftext|>"})
    if (int32_t id = v.find(t); id >= 0) v.attr[id] &= ~kAttrRstrip;
}

}  // namespace

Vocab load_vocab(const gguf::File& f) {
  Vocab v;
  const auto model = f.get_string("tokenizer.ggml.model");
  if (!model) fail(f, "missing tokenizer.ggml.model");
  v.model = *model;
  if (v.model == "llama") {
    v.kind = ModelKind::SPM;
  } else if (v.model == "gpt2") {
    v.kind = ModelKind::BPE;
  } else if (v.model == "bert") {
    v.kind = ModelKind::WPM;
  } else {
    fail(f, "tokenizer.ggml.model '" + v.model + "' is not supported (llama, gpt2, bert)");
  }
  v.pre = f.get_string("tokenizer.ggml.pre").value_or("default");

  const auto& tokens = *get_array(f, "tokenizer.ggml.tokens", gguf::ValueType::STRING, true);
  if (tokens.empty()) fail(f, "tokenizer.ggml.tokens is empty");
  if (tokens.size() > static_cast<size_t>(INT32_MAX)) fail(f, "tokenizer.ggml.tokens is too large");
  const size_t n = tokens.size();
  const auto* scores = get_array(f, "tokenizer.ggml.scores", gguf::ValueType::FLOAT32, false);
  const auto* types = get_array(f, "tokenizer.ggml.token_type", gguf::ValueType::INT32, false);
  if (scores && scores->size() != n)
    fail(f, "tokenizer.ggml.scores has " + std::to_string(scores->size()) + " entries for " +
                std::to_string(n) + " tokens");
  if (types && types->size() != n)
    fail(f, "tokenizer.ggml.token_type has " + std::to_string(types->size()) + " entries for " +
                std::to_string(n) + " tokens");

  v.text.reserve(n);
  v.score.assign(n, 0.0f);
  v.attr.assign(n, kAttrNormal);
  for (size_t i = 0; i < n; ++i) {
    // An empty token could never be matched and would match everywhere as a special token.
    const std::string_view text = tokens.string_at(i);
    v.text.push_back(text.empty() ? "[EMPTY_" + std::to_string(i) + "]" : std::string(text));
    v.max_token_len = std::max(v.max_token_len, v.text.back().size());
    // A NaN score would break the ordering of SPM merge candidates.
    if (scores)
      v.score[i] = std::isnan(scores->float_at(i)) ? -INFINITY : static_cast<float>(scores->float_at(i));
    if (types) v.attr[i] = attr_of_type((*types)[i]);
  }

  v.to_id.build(v.text);

  const int32_t nv = v.size();
  switch (v.kind) {
    case ModelKind::SPM:
      v.bos = 1, v.eos = 2, v.unk = 0;
      v.clean_spaces = false;
      v.add_bos = true, v.add_space_prefix = true;
      break;
    case ModelKind::BPE:
      v.add_bos =
          v.pre == "llama3" || v.pre == "llama-v3" || v.pre == "llama-bpe" || v.pre == "falcon3";
      v.clean_spaces = true;
      for (auto p : {"deepseek-llm", "deepseek-coder", "deepseek-v3", "command-r", "qwen2",
                     "poro-chat", "viking", "tekken", "smollm", "chameleon"})
        if (v.pre == p) v.clean_spaces = false;
      break;
    case ModelKind::WPM:
      v.bos = 101, v.unk = 100, v.sep = 102, v.pad = 0;
      v.add_bos = true, v.clean_spaces = true;
      break;
  }
  if (v.kind == ModelKind::WPM) read_special_id(f, "tokenizer.ggml.cls_token_id", nv, v.bos);
  read_special_id(f, "tokenizer.ggml.bos_token_id", nv, v.bos);
  read_special_id(f, "tokenizer.ggml.eos_token_id", nv, v.eos);
  read_special_id(f, "tokenizer.ggml.eot_token_id", nv, v.eot);
  read_special_id(f, "tokenizer.ggml.eom_token_id", nv, v.eom);
  read_special_id(f, "tokenizer.ggml.unknown_token_id", nv, v.unk);
  read_special_id(f, "tokenizer.ggml.seperator_token_id", nv, v.sep);
  read_special_id(f, "tokenizer.ggml.padding_token_id", nv, v.pad);
  v.add_bos = get_flag(f, "tokenizer.ggml.add_bos_token", v.add_bos);
  v.add_eos = get_flag(f, "tokenizer.ggml.add_eos_token", v.add_eos);
  v.add_space_prefix = get_flag(f, "tokenizer.ggml.add_space_prefix", v.add_space_prefix);
  if (v.add_bos && v.bos < 0) v.add_bos = false;
  if (v.add_eos && v.eos < 0) v.add_eos = false;

  find_end_tokens(v);

  for (int32_t id = 0; id < nv; ++id)
    if (v.attr[id] & (kAttrControl | kAttrUserDefined | kAttrUnknown)) v.special.push_back(id);
  std::stable_sort(v.special.begin(), v.special.end(),
                   [&](int32_t a, int32_t b) { return v.text[a].size() > v.text[b].size(); });
  apply_strip_rules(f, v);

  v.byte_token.assign(256, -1);
  if (v.kind == ModelKind::SPM) {
    char name[8];
    for (int b = 0; b < 256; ++b) {
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      v.byte_token[b] = v.find(name);
    }
  }
  return v;
}

}  // namespace airlock::tokenizer
