#include "model/synth.h"

#include <airlock/error.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numbers>
#include <unordered_set>

#include "common/utf8.h"
#include "gguf/writer.h"
#include "tensor/thread_pool.h"

namespace airlock::synth {
namespace {

constexpr float kNoScaling = 0;

// ---------------------------------------------------------------------------------------------
// Presets and file types

std::vector<Preset> make_presets() {
  // name, arch, embd, layers, heads, kv heads, ff, vocab, ctx, rope theta, rms eps, tied, qkv bias
  std::vector<Preset> p = {
      {"llama-3.2-1b", "llama", 2048, 16, 32, 8, 8192, 128256, 131072, 500000.0f, 1e-5f, true,
       false, VocabKind::Llama3, 32.0f},
      {"llama-3.2-3b", "llama", 3072, 28, 24, 8, 8192, 128256, 131072, 500000.0f, 1e-5f, true,
       false, VocabKind::Llama3, 32.0f},
      {"qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 4864, 151936, 32768, 1000000.0f, 1e-6f, true, true,
       VocabKind::Qwen2, kNoScaling},
      {"qwen2.5-7b", "qwen2", 3584, 28, 28, 4, 18944, 152064, 32768, 1000000.0f, 1e-6f, false, true,
       VocabKind::Qwen2, kNoScaling},
      {"llama-2-7b", "llama", 4096, 32, 32, 32, 11008, 32000, 4096, 10000.0f, 1e-5f, false, false,
       VocabKind::Llama2Spm, kNoScaling},
      // BAAI's bge-small-en-v1.5: a BERT encoder with learned positions, CLS pooling and
      // bert-base's WordPiece vocabulary size (rope theta unused).
      {"bge-small", "bert", 384, 12, 12, 12, 1536, 30522, 512, 0.0f, 1e-12f, true, true,
       VocabKind::WordPiece, kNoScaling},
      // The server's demo model: tiny, with a byte-level BPE vocabulary learned from built-in
      // text (n_vocab is filled in from the learned vocabulary).
      {"demo", "llama", 128, 2, 4, 2, 512, 0, 2048, 10000.0f, 1e-5f, true, false, VocabKind::Demo,
       kNoScaling},
  };
  return p;
}

}  // namespace

const std::vector<Preset>& presets() {
  static const std::vector<Preset> p = make_presets();
  return p;
}

const Preset& find_preset(std::string_view name) {
  std::string known;
  for (const auto& p : presets()) {
    if (p.name == name) return p;
    known += (known.empty() ? "" : ", ") + p.name;
  }
  throw Error("synth: unknown preset '" + std::string(name) + "' (known: " + known + ")");
}

// ---------------------------------------------------------------------------------------------
// Tokenizers. Token types are GGUF's: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused,
// 6 byte.

namespace {

struct Vocab {
  std::string model;  // tokenizer.ggml.model
  std::string pre;    // tokenizer.ggml.pre
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  std::vector<std::string> merges;  // BPE only
  std::vector<float> scores;        // SentencePiece only
  int64_t bos = -1, eos = -1, eot = -1, unk = -1, pad = -1;
  int64_t cls = -1, sep = -1, mask = -1;  // WordPiece only
  bool add_bos = false;
  std::string chat_template;
};

// GPT-2's byte-level alphabet: printable Latin-1 bytes stand for themselves, the other 68 bytes
// are moved to code points 256 and up, so that every byte is a visible character.
std::array<std::string, 256> byte_level_alphabet() {
  std::array<std::string, 256> out;
  uint32_t next = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
    append_utf8(out[b], printable ? b : next++);
  }
  return out;
}

// splitmix64: seeds and hashes; small, fast and the same on every platform.
uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t hash_string(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// Fills a byte-level BPE vocabulary up to n_normal tokens with synthetic merges: each new token
// is an existing token followed by a letter or a space, so every merge's parts exist before it
// and the 256 byte tokens let any text tokenize.
void synthetic_bpe(Vocab& v, int64_t n_normal, uint64_t seed) {
  const auto alphabet = byte_level_alphabet();
  std::unordered_set<std::string> seen;
  for (const auto& b : alphabet) {
    v.tokens.push_back(b);
    v.types.push_back(1);
    seen.insert(b);
  }
  std::vector<std::string> tails;
  for (char c = 'a'; c <= 'z'; ++c) tails.push_back(alphabet[static_cast<unsigned char>(c)]);
  tails.push_back(alphabet[' ']);
  uint64_t state = seed;
  while (static_cast<int64_t>(v.tokens.size()) < n_normal) {
    state = mix64(state);
    const std::string& head = v.tokens[state % v.tokens.size()];
    const std::string& tail = tails[(state >> 40) % tails.size()];
    std::string merged = head + tail;
    if (!seen.insert(merged).second) continue;
    v.merges.push_back(head + " " + tail);
    v.tokens.push_back(std::move(merged));
    v.types.push_back(1);
  }
}

void add_token(Vocab& v, const std::string& text, int32_t type) {
  v.tokens.push_back(text);
  v.types.push_back(type);
}

Vocab llama3_vocab(int64_t n_vocab) {
  Vocab v;
  v.model = "gpt2";
  v.pre = "llama-bpe";
  const int64_t n_special = std::min<int64_t>(256, n_vocab - 256);
  if (n_special < 11) throw Error("synth: a Llama 3 vocabulary needs at least 267 tokens");
  synthetic_bpe(v, n_vocab - n_special, 0x11a3a3);
  const int64_t first = static_cast<int64_t>(v.tokens.size());
  const char* named[] = {"<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                         "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>",
                         "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
                         "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"};
  for (const char* s : named) add_token(v, s, 3);
  for (int64_t i = 11; i < n_special; ++i)
    add_token(v, "<|reserved_special_token_" + std::to_string(i - 8) + "|>", 3);
  v.bos = first;
  v.eos = first + 9;  // <|eot_id|>, as the instruct models' GGUF files set it
  v.eot = first + 9;
  v.add_bos = true;
  return v;
}

Vocab qwen2_vocab(int64_t n_vocab) {
  Vocab v;
  v.model = "gpt2";
  v.pre = "qwen2";
  const char* named[] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>",
                         "<|object_ref_end|>", "<|box_start|>", "<|box_end|>", "<|quad_start|>",
                         "<|quad_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
                         "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>",
                         "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>",
                         "<|repo_name|>", "<|file_sep|>"};
  const int64_t n_named = static_cast<int64_t>(std::size(named));
  // The published vocabulary has 151,643 BPE tokens and 22 special ones; the embedding rows
  // beyond them are padding. A smaller (test) vocabulary has fewer BPE tokens and no padding.
  const int64_t n_bpe = std::min<int64_t>(151643, n_vocab - n_named);
  if (n_bpe < 256) throw Error("synth: a Qwen2 vocabulary needs at least 278 tokens");
  synthetic_bpe(v, n_bpe, 0x9e2);
  const int64_t first = static_cast<int64_t>(v.tokens.size());
  for (const char* s : named) add_token(v, s, s[1] == '|' ? 3 : 4);
  while (static_cast<int64_t>(v.tokens.size()) < n_vocab)
    add_token(v, "[PAD" + std::to_string(v.tokens.size()) + "]", 5);
  v.bos = first;
  v.eos = first + 2;  // <|im_end|>
  v.eot = first + 2;
  v.pad = first;
  return v;
}

// SentencePiece (Llama 2): <unk>, <s>, </s>, 256 byte-fallback tokens, then pieces whose scores
// fall with their rank, built like the BPE ones from letters and the word-start mark.
Vocab llama2_vocab(int64_t n_vocab) {
  Vocab v;
  v.model = "llama";
  v.pre = "default";
  if (n_vocab < 300) throw Error("synth: a SentencePiece vocabulary needs at least 300 tokens");
  add_token(v, "<unk>", 2);
  add_token(v, "<s>", 3);
  add_token(v, "</s>", 3);
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    add_token(v, buf, 6);
  }
  const std::string space = "\xE2\x96\x81";  // U+2581, SentencePiece's word-start mark
  std::vector<std::string> letters = {space};
  for (char c = 'a'; c <= 'z'; ++c) letters.push_back(std::string(1, c));
  for (char c = 'A'; c <= 'Z'; ++c) letters.push_back(std::string(1, c));
  for (char c = '0'; c <= '9'; ++c) letters.push_back(std::string(1, c));
  const size_t first_piece = v.tokens.size();
  std::unordered_set<std::string> seen(letters.begin(), letters.end());
  for (const auto& l : letters) add_token(v, l, 1);
  uint64_t state = 0x5e7;
  while (static_cast<int64_t>(v.tokens.size()) < n_vocab) {
    state = mix64(state);
    const std::string& head = v.tokens[first_piece + state % (v.tokens.size() - first_piece)];
    const std::string& tail = letters[1 + (state >> 40) % 26];
    std::string merged = head + tail;
    if (seen.insert(merged).second) add_token(v, merged, 1);
  }
  v.scores.assign(v.tokens.size(), 0.0f);
  for (size_t i = first_piece; i < v.tokens.size(); ++i)
    v.scores[i] = -static_cast<float>(i - first_piece);
  v.unk = 0;
  v.bos = 1;
  v.eos = 2;
  v.add_bos = true;
  return v;
}

// The demo model's tokenizer is trained on this text (written for airlock), so common English
// words become single tokens while any other text still falls back to bytes.
constexpr std::string_view kDemoText =
    "The lighthouse keeper woke before the sun and climbed the stairs to the lamp room. "
    "She cleaned the glass, checked the oil and wrote the weather in the log book: wind from the "
    "west, light rain, the sea calm and grey. Every morning was the same, and she liked it that "
    "way. The island had no roads and no shops, only the tower, a small house, a garden of "
    "potatoes and the birds that came and went with the seasons.\n"
    "Once a month a boat brought letters, flour, tea and news from the town. The captain was an "
    "old friend who talked about the price of fish and the people who had moved away. She "
    "listened, made tea for both of them, and asked about the books he had promised to bring. "
    "When the boat left she would stand on the rocks and watch it until it was a small white "
    "point on the water, and then she would go back to her work.\n"
    "In the evening she read by the window while the great light turned above her. Ships passed "
    "far out at sea; she could see their lights moving slowly from the north to the south. She "
    "thought about the people on board, the sailors and the cooks and the engineers, and how "
    "each of them trusted the light to show them where the rocks were. It was a simple job, but "
    "it mattered, and that was enough for her.\n"
    "Questions and answers: What is the capital of France? The capital of France is Paris. "
    "How many days are there in a week? There are seven days in a week. What colour is the sky "
    "on a clear day? The sky is blue on a clear day. Can you help me? Yes, I can help you. "
    "Thank you very much! You are welcome. Hello, how are you today? I am well, thank you.\n"
    "Numbers: 1, 2, 3, 10, 42, 100, 2024. Code: int main() { return 0; } and print(\"hello\").\n"
    "The assistant is a small model that runs on this computer without a network. It can answer "
    "short questions, write a few sentences, and help with simple tasks. It does not know about "
    "recent events, and it will tell you when it is not sure. The model is very small, so its "
    "answers are often wrong; it is here to show that the server works, not to be clever.\n"
    "In the spring the birds returned to the island and built their nests in the cliffs. The "
    "keeper counted them every week and wrote the numbers in her book next to the weather. Some "
    "years there were many, some years there were few, and she never knew why. She liked to think "
    "that the birds remembered the island the way she remembered the town where she was born: a "
    "place that was always there, even when you were far away from it.\n"
    "User: Please write a short story about a cat.\nAssistant: The cat sat by the fire and "
    "watched the rain. When the rain stopped, she went out into the garden to look for mice, but "
    "the mice were hiding, so she came back inside and went to sleep.\n";

// Splits text like a GPT-2 pre-tokenizer (an optional leading space, then a run of letters, of
// digits, or of other symbols; whitespace runs alone) so merges never cross word boundaries.
std::vector<std::string> split_words(std::string_view text) {
  auto cls = [](unsigned char c) { return std::isalpha(c) ? 0 : std::isdigit(c) ? 1 : std::isspace(c) ? 2 : 3; };
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    if (text[j] == ' ' && j + 1 < text.size() && cls(text[j + 1]) != 2) ++j;
    const int c = cls(static_cast<unsigned char>(text[j]));
    while (j < text.size() && cls(static_cast<unsigned char>(text[j])) == c) ++j;
    words.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return words;
}

// Byte-pair encoding training: repeatedly merge the most frequent adjacent pair (ties broken by
// the pair's text, so the result is the same everywhere) until max_merges or no pair repeats.
Vocab demo_vocab(size_t max_merges) {
  Vocab v;
  v.model = "gpt2";
  v.pre = "llama-bpe";
  const auto alphabet = byte_level_alphabet();
  for (const auto& b : alphabet) add_token(v, b, 1);
  std::map<std::string, int> word_count;
  for (const auto& w : split_words(kDemoText)) ++word_count[w];
  std::vector<std::pair<std::vector<std::string>, int>> words;
  for (const auto& [w, n] : word_count) {
    std::vector<std::string> symbols;
    for (unsigned char c : w) symbols.push_back(alphabet[c]);
    words.emplace_back(std::move(symbols), n);
  }
  std::unordered_set<std::string> seen(alphabet.begin(), alphabet.end());
  while (v.merges.size() < max_merges) {
    std::map<std::pair<std::string, std::string>, int> pairs;
    for (const auto& [symbols, n] : words)
      for (size_t i = 0; i + 1 < symbols.size(); ++i) pairs[{symbols[i], symbols[i + 1]}] += n;
    auto best = pairs.end();
    for (auto it = pairs.begin(); it != pairs.end(); ++it)
      if (best == pairs.end() || it->second > best->second) best = it;
    if (best == pairs.end() || best->second < 2) break;
    const auto [a, b] = best->first;
    const std::string merged = a + b;
    for (auto& [symbols, n] : words) {
      std::vector<std::string> out;
      for (size_t i = 0; i < symbols.size(); ++i) {
        if (i + 1 < symbols.size() && symbols[i] == a && symbols[i + 1] == b) {
          out.push_back(merged);
          ++i;
        } else {
          out.push_back(symbols[i]);
        }
      }
      symbols = std::move(out);
    }
    v.merges.push_back(a + " " + b);
    if (seen.insert(merged).second) add_token(v, merged, 1);
  }
  const int64_t first = static_cast<int64_t>(v.tokens.size());
  for (const char* s : {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                        "<|end_header_id|>", "<|eot_id|>"})
    add_token(v, s, 3);
  v.bos = first;
  v.eos = first + 4;
  v.eot = first + 4;
  v.add_bos = true;
  v.chat_template =
      "{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + "
      "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{%- endfor %}"
      "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
      "{%- endif %}";
  return v;
}

// WordPiece (BERT): [PAD], 99 [unusedN] and [UNK] [CLS] [SEP] [MASK] at ids 100..103 as in
// bert-base's published vocabulary, then printable ASCII characters, lowercase letter pairs and
// triples, each as a word start and as a continuation, up to the size; English text so splits into
// pieces of one to three letters. Spelled as llama.cpp's converter writes WordPiece: a word start
// carries U+2581, a continuation is bare (no "##").
Vocab wordpiece_vocab(int64_t n_vocab) {
  Vocab v;
  v.model = "bert";
  v.pre = "bert-bge";
  if (n_vocab < 400) throw Error("synth: a WordPiece vocabulary needs at least 400 tokens");
  add_token(v, "[PAD]", 3);
  for (int i = 0; i < 99; ++i) add_token(v, "[unused" + std::to_string(i) + "]", 1);
  for (const char* s : {"[UNK]", "[CLS]", "[SEP]", "[MASK]"}) add_token(v, s, 3);
  v.pad = 0, v.unk = 100, v.cls = 101, v.sep = 102, v.mask = 103;
  const std::string start = "\u2581";
  std::vector<std::string> pieces;
  for (char c = '!'; c <= '~'; ++c) pieces.push_back(start + c), pieces.emplace_back(1, c);
  for (char a = 'a'; a <= 'z'; ++a)
    for (char b = 'a'; b <= 'z'; ++b) pieces.push_back(start + a + b), pieces.push_back(std::string{a, b});
  for (char a = 'a'; a <= 'z'; ++a)
    for (char b = 'a'; b <= 'z'; ++b)
      for (char c = 'a'; c <= 'z'; ++c) pieces.push_back(start + a + b + c), pieces.push_back(std::string{a, b, c});
  for (size_t i = 0; static_cast<int64_t>(v.tokens.size()) < n_vocab; ++i) {
    if (i == pieces.size())
      throw Error("synth: a WordPiece vocabulary is at most " + std::to_string(104 + pieces.size()) + " tokens");
    add_token(v, pieces[i], 1);
  }
  return v;
}

constexpr size_t kDemoMerges = 400;

Vocab make_vocab(const Preset& p) {
  switch (p.vocab) {
    case VocabKind::Llama3: return llama3_vocab(p.n_vocab);
    case VocabKind::Qwen2: return qwen2_vocab(p.n_vocab);
    case VocabKind::Llama2Spm: return llama2_vocab(p.n_vocab);
    case VocabKind::Demo: return demo_vocab(kDemoMerges);
    case VocabKind::WordPiece: return wordpiece_vocab(p.n_vocab);
  }
  throw Error("synth: unknown vocabulary kind");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The plan: metadata and tensor list

namespace {

Preset apply_overrides(const Options& o) {
  Preset p = find_preset(o.preset);
  if (o.layers > 0) p.n_layer = o.layers;
  if (o.embd > 0) p.n_embd = o.embd;
  if (o.ff > 0) p.n_ff = o.ff;
  if (o.vocab > 0) {
    if (p.vocab == VocabKind::Demo) throw Error("synth: the demo preset's vocabulary cannot be resized");
    p.n_vocab = o.vocab;
  }
  if (p.n_embd % p.n_head != 0 || (p.n_embd / p.n_head) % 2 != 0)
    throw Error("synth: embedding length " + std::to_string(p.n_embd) + " must split into " +
                std::to_string(p.n_head) + " heads of even size");
  if (p.n_layer > 4096 || p.n_embd > 65536 || p.n_ff > 262144 || p.n_vocab > 1048576)
    throw Error("synth: model dimensions are out of range");
  return p;
}

// llama.cpp's converter stores Llama 3's rope scaling as one factor per rotary frequency.
std::vector<float> llama3_rope_factors(const Preset& p) {
  const int64_t head_dim = p.n_embd / p.n_head;
  const double low_wavelen = p.rope_original_ctx / p.rope_low_freq_factor;
  const double high_wavelen = p.rope_original_ctx / p.rope_high_freq_factor;
  std::vector<float> f;
  for (int64_t i = 0; i < head_dim; i += 2) {
    const double freq = 1.0 / std::pow(p.rope_theta, static_cast<double>(i) / head_dim);
    const double wavelen = 2 * std::numbers::pi / freq;
    if (wavelen < high_wavelen) {
      f.push_back(1.0f);
    } else if (wavelen > low_wavelen) {
      f.push_back(p.rope_scale_factor);
    } else {
      const double smooth = (p.rope_original_ctx / wavelen - p.rope_low_freq_factor) /
                            (p.rope_high_freq_factor - p.rope_low_freq_factor);
      f.push_back(static_cast<float>(1.0 / ((1 - smooth) / p.rope_scale_factor + smooth)));
    }
  }
  return f;
}

}  // namespace

namespace {

// A BERT encoder's tensors, named and shaped as llama.cpp's converter writes them.
template <typename Add>
void add_encoder_tensors(const Preset& p, Add& add) {
  add("token_embd.weight", {p.n_embd, p.n_vocab}, Init::Normal, -1);
  add("token_types.weight", {p.n_embd, 2}, Init::Normal, -1);
  add("position_embd.weight", {p.n_embd, p.n_ctx}, Init::Normal, -1);
  add("token_embd_norm.weight", {p.n_embd}, Init::Ones, -1);
  add("token_embd_norm.bias", {p.n_embd}, Init::Normal, -1);
  for (int64_t i = 0; i < p.n_layer; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    for (const char* m : {"attn_q", "attn_k", "attn_v", "attn_output"}) {
      add(b + m + ".weight", {p.n_embd, p.n_embd}, Init::Normal, i);
      add(b + m + ".bias", {p.n_embd}, Init::Normal, i);
    }
    add(b + "attn_output_norm.weight", {p.n_embd}, Init::Ones, i);
    add(b + "attn_output_norm.bias", {p.n_embd}, Init::Normal, i);
    add(b + "ffn_up.weight", {p.n_embd, p.n_ff}, Init::Normal, i);
    add(b + "ffn_up.bias", {p.n_ff}, Init::Normal, i);
    add(b + "ffn_down.weight", {p.n_ff, p.n_embd}, Init::Normal, i);
    add(b + "ffn_down.bias", {p.n_embd}, Init::Normal, i);
    add(b + "layer_output_norm.weight", {p.n_embd}, Init::Ones, i);
    add(b + "layer_output_norm.bias", {p.n_embd}, Init::Normal, i);
  }
}

}  // namespace

uint64_t ModelPlan::data_bytes() const {
  uint64_t total = 0;
  for (const auto& t : tensors) {
    total += *row_bytes(t.type, t.ne[0]) * static_cast<uint64_t>(t.n_elements() / t.ne[0]);
    total = (total + gguf::kDefaultAlignment - 1) / gguf::kDefaultAlignment * gguf::kDefaultAlignment;
  }
  return total;
}

ModelPlan plan_model(const Options& options) {
  ModelPlan plan;
  plan.preset = apply_overrides(options);
  plan.file_type = find_file_type(options.type);
  Preset& p = plan.preset;
  Vocab vocab = make_vocab(p);
  p.n_vocab = static_cast<int64_t>(vocab.tokens.size());
  const std::string& a = p.arch;
  const int64_t head_dim = p.n_embd / p.n_head;

  auto& md = plan.metadata;
  auto kv = [&md](std::string key, gguf::Value v) { md.push_back({std::move(key), std::move(v)}); };
  auto u32 = [](int64_t x) { return gguf::Value::of_u32(static_cast<uint32_t>(x)); };
  kv("general.architecture", gguf::Value::of_string(a));
  kv("general.name", gguf::Value::of_string("airlock synth " + p.name));
  kv("general.file_type", u32(plan.file_type.ftype_id));
  kv("general.quantization_version", u32(2));
  const bool encoder = a == "bert";
  if (!encoder) kv(a + ".vocab_size", u32(p.n_vocab));
  kv(a + ".context_length", u32(p.n_ctx));
  kv(a + ".embedding_length", u32(p.n_embd));
  kv(a + ".block_count", u32(p.n_layer));
  kv(a + ".feed_forward_length", u32(p.n_ff));
  kv(a + ".attention.head_count", u32(p.n_head));
  if (encoder) {
    // As llama.cpp's converter writes a BERT model (cf. the fixture bert-bge-f16.gguf).
    kv(a + ".attention.layer_norm_epsilon", gguf::Value::of_f32(p.rms_eps));
    kv(a + ".attention.causal", gguf::Value::of_bool(false));
    kv(a + ".pooling_type", u32(2));  // CLS, as bge pools
    kv("tokenizer.ggml.token_type_count", u32(2));
  } else {
    kv(a + ".attention.head_count_kv", u32(p.n_head_kv));
    kv(a + ".rope.freq_base", gguf::Value::of_f32(p.rope_theta));
    kv(a + ".rope.dimension_count", u32(head_dim));
    kv(a + ".attention.layer_norm_rms_epsilon", gguf::Value::of_f32(p.rms_eps));
  }
  kv("tokenizer.ggml.model", gguf::Value::of_string(vocab.model));
  kv("tokenizer.ggml.pre", gguf::Value::of_string(vocab.pre));
  kv("tokenizer.ggml.tokens", gguf::Value::of_strings(vocab.tokens));
  kv("tokenizer.ggml.token_type", gguf::Value::of_i32s(vocab.types));
  if (!vocab.merges.empty()) kv("tokenizer.ggml.merges", gguf::Value::of_strings(vocab.merges));
  if (!vocab.scores.empty()) kv("tokenizer.ggml.scores", gguf::Value::of_f32s(vocab.scores));
  if (vocab.bos >= 0) kv("tokenizer.ggml.bos_token_id", u32(vocab.bos));
  if (vocab.eos >= 0) kv("tokenizer.ggml.eos_token_id", u32(vocab.eos));
  if (vocab.eot >= 0) kv("tokenizer.ggml.eot_token_id", u32(vocab.eot));
  if (vocab.unk >= 0) kv("tokenizer.ggml.unknown_token_id", u32(vocab.unk));
  if (vocab.pad >= 0) kv("tokenizer.ggml.padding_token_id", u32(vocab.pad));
  if (vocab.sep >= 0) kv("tokenizer.ggml.seperator_token_id", u32(vocab.sep));  // sic, GGUF's spelling
  if (vocab.cls >= 0) kv("tokenizer.ggml.cls_token_id", u32(vocab.cls));
  if (vocab.mask >= 0) kv("tokenizer.ggml.mask_token_id", u32(vocab.mask));
  if (!encoder) {
    kv("tokenizer.ggml.add_bos_token", gguf::Value::of_bool(vocab.add_bos));
    kv("tokenizer.ggml.add_eos_token", gguf::Value::of_bool(false));
  }
  if (!vocab.chat_template.empty())
    kv("tokenizer.chat_template", gguf::Value::of_string(vocab.chat_template));

  const int64_t n_q = p.n_head * head_dim, n_kv = p.n_head_kv * head_dim;
  const bool has_output = !p.tied_output;
  auto add = [&](std::string name, std::vector<int64_t> shape, Init init, int64_t layer) {
    TensorPlan t;
    t.name = std::move(name);
    t.n_dims = static_cast<uint32_t>(shape.size());
    for (size_t i = 0; i < shape.size(); ++i) t.ne[i] = shape[i];
    t.init = init;
    // Matrices: N(0, 1/fan_in) with fan_in the row length; biases likewise over n_embd.
    t.stddev = static_cast<float>(1.0 / std::sqrt(static_cast<double>(shape.size() > 1 ? shape[0] : p.n_embd)));
    t.type = choose_type(plan.file_type, t.name, t.ne, t.n_dims, layer, p.n_layer, has_output,
                         p.n_head / p.n_head_kv);
    // Position and token-type tables are never quantized (llama.cpp keeps token types F32).
    if (t.n_dims > 1 && !is_quantizable(t.name, t.n_dims))
      t.type = t.name == "token_types.weight" ? TensorType::F32 : TensorType::F16;
    plan.tensors.push_back(std::move(t));
  };
  if (encoder) {
    add_encoder_tensors(p, add);
    return plan;
  }
  add("token_embd.weight", {p.n_embd, p.n_vocab}, Init::Normal, -1);
  if (p.rope_scale_factor != kNoScaling) add("rope_freqs.weight", {head_dim / 2}, Init::RopeFreqs, -1);
  for (int64_t i = 0; i < p.n_layer; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    add(b + "attn_norm.weight", {p.n_embd}, Init::Ones, i);
    add(b + "attn_q.weight", {p.n_embd, n_q}, Init::Normal, i);
    add(b + "attn_k.weight", {p.n_embd, n_kv}, Init::Normal, i);
    add(b + "attn_v.weight", {p.n_embd, n_kv}, Init::Normal, i);
    if (p.qkv_bias) {
      add(b + "attn_q.bias", {n_q}, Init::Normal, i);
      add(b + "attn_k.bias", {n_kv}, Init::Normal, i);
      add(b + "attn_v.bias", {n_kv}, Init::Normal, i);
    }
    add(b + "attn_output.weight", {n_q, p.n_embd}, Init::Normal, i);
    add(b + "ffn_norm.weight", {p.n_embd}, Init::Ones, i);
    add(b + "ffn_gate.weight", {p.n_embd, p.n_ff}, Init::Normal, i);
    add(b + "ffn_up.weight", {p.n_embd, p.n_ff}, Init::Normal, i);
    add(b + "ffn_down.weight", {p.n_ff, p.n_embd}, Init::Normal, i);
  }
  add("output_norm.weight", {p.n_embd}, Init::Ones, -1);
  if (has_output) add("output.weight", {p.n_embd, p.n_vocab}, Init::Normal, -1);
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Weights

namespace {

// xoshiro256**: a fast generator whose output is fixed by its definition, unlike the standard
// library's distributions, so a seed gives the same model on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : s_) s = seed = mix64(seed);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in (0, 1]: never 0, so its logarithm is finite.
  double uniform() { return (static_cast<double>(next() >> 11) + 1) * 0x1.0p-53; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Standard normal values by the Box-Muller transform, two at a time.
void fill_normal(Rng& rng, float stddev, float* out, int64_t n) {
  for (int64_t i = 0; i < n; i += 2) {
    const double r = std::sqrt(-2.0 * std::log(rng.uniform())) * stddev;
    const double phi = 2 * std::numbers::pi * rng.uniform();
    out[i] = static_cast<float>(r * std::cos(phi));
    if (i + 1 < n) out[i + 1] = static_cast<float>(r * std::sin(phi));
  }
}

}  // namespace

void generate_rows(const ModelPlan& plan, const TensorPlan& t, uint64_t seed, int64_t row0,
                   int64_t n_rows, float* out) {
  const int64_t n = t.ne[0];
  switch (t.init) {
    case Init::Ones: std::fill(out, out + n * n_rows, 1.0f); return;
    case Init::RopeFreqs: {
      const auto f = llama3_rope_factors(plan.preset);
      std::copy(f.begin(), f.end(), out);
      return;
    }
    case Init::Normal: {
      const uint64_t tensor_seed = mix64(seed ^ hash_string(t.name));
      for (int64_t r = 0; r < n_rows; ++r) {
        Rng rng(tensor_seed + static_cast<uint64_t>(row0 + r));
        fill_normal(rng, t.stddev, out + r * n, n);
      }
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

namespace {

// Rows generated and converted per thread at a time: a few MB of floats whatever the tensor's size.
constexpr int64_t kChunkFloats = 1 << 20;

// Streams one tensor: generate a batch of rows, convert it to the tensor's type, hand it on. Rows
// are drawn and converted independently, so the threads' split does not change the bytes.
void fill_tensor(const ModelPlan& plan, const TensorPlan& t, uint64_t seed, ThreadPool& pool,
                 const gguf::ByteSink& out) {
  const int64_t n = t.ne[0];
  const int64_t rows = t.n_elements() / n;
  const int64_t batch_rows = std::clamp<int64_t>(kChunkFloats / n * pool.size(), 1, rows);
  const size_t row_size = *row_bytes(t.type, n);
  const FromFloatFn convert = type_traits(t.type).from_float;
  std::vector<float> values(static_cast<size_t>(batch_rows * n));
  std::vector<uint8_t> converted(row_size * static_cast<size_t>(batch_rows));
  for (int64_t r = 0; r < rows; r += batch_rows) {
    const int64_t n_rows = std::min(batch_rows, rows - r);
    pool.parallel_for(n_rows, [&](int64_t begin, int64_t end) {
      float* v = values.data() + begin * n;
      generate_rows(plan, t, seed, r + begin, end - begin, v);
      convert(v, converted.data() + static_cast<size_t>(begin) * row_size, (end - begin) * n);
    });
    out(converted.data(), row_size * static_cast<size_t>(n_rows));
  }
}

}  // namespace

void write_model(const ModelPlan& plan, uint64_t seed, const std::filesystem::path& path, int n_threads,
                 const std::function<void(size_t, size_t)>& progress) {
  for (const auto& t : plan.tensors)
    if (!type_traits(t.type).from_float)
      throw Error(std::string("synth: airlock cannot write ") + type_name(t.type) + " tensors yet (" +
                  t.name + ")");
  ThreadPool pool(n_threads);
  std::vector<gguf::TensorToWrite> tensors;
  for (size_t i = 0; i < plan.tensors.size(); ++i) {
    const TensorPlan& t = plan.tensors[i];
    gguf::TensorToWrite w;
    w.name = t.name;
    w.type = t.type;
    w.dims.assign(t.ne.begin(), t.ne.begin() + t.n_dims);
    w.fill = [&plan, &t, seed, i, &pool, &progress](const gguf::ByteSink& out) {
      fill_tensor(plan, t, seed, pool, out);
      if (progress) progress(i + 1, plan.tensors.size());
    };
    tensors.push_back(std::move(w));
  }
  gguf::write_file(path, plan.metadata, tensors);
}

}  // namespace airlock::synth
