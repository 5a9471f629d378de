// synth's plans for the full-size presets: shapes from the published configs, llama.cpp's tensor
// type mix, file sizes against published GGUF files, and tokenizers that are valid.
#include <gtest/gtest.h>

#include <airlock/error.h>

#include <climits>
#include <cstdint>
#include <map>
#include <set>
#include <unordered_set>

#include "gguf/file_type.h"
#include "model/synth.h"
#include "support/fixtures.h"

using namespace airlock;
using namespace airlock::synth;

namespace {

const TensorPlan& tensor(const ModelPlan& p, const std::string& name) {
  for (const auto& t : p.tensors)
    if (t.name == name) return t;
  throw std::runtime_error("no tensor " + name);
}

const gguf::Value& meta(const ModelPlan& p, const std::string& key) {
  for (const auto& kv : p.metadata)
    if (kv.key == key) return kv.value;
  throw std::runtime_error("no key " + key);
}

ModelPlan plan(const std::string& preset, const std::string& type) {
  Options o;
  o.preset = preset;
  o.type = type;
  return plan_model(o);
}

}  // namespace

TEST(SynthPlan, Llama32_1bShapes) {
  const ModelPlan p = plan("llama-3.2-1b", "F16");
  EXPECT_EQ(meta(p, "general.architecture").as_string(), "llama");
  EXPECT_EQ(meta(p, "llama.embedding_length").as_int(), 2048);
  EXPECT_EQ(meta(p, "llama.block_count").as_int(), 16);
  EXPECT_EQ(meta(p, "llama.attention.head_count").as_int(), 32);
  EXPECT_EQ(meta(p, "llama.attention.head_count_kv").as_int(), 8);
  EXPECT_EQ(meta(p, "llama.feed_forward_length").as_int(), 8192);
  EXPECT_EQ(meta(p, "llama.rope.dimension_count").as_int(), 64);
  EXPECT_FLOAT_EQ(meta(p, "llama.rope.freq_base").as_float(), 500000.0);
  EXPECT_EQ(meta(p, "tokenizer.ggml.tokens").as_array().size(), 128256u);
  EXPECT_EQ(meta(p, "general.file_type").as_int(), 1);
  // 16 layers x 9 tensors + token_embd, rope_freqs, output_norm; tied: no output.weight.
  EXPECT_EQ(p.tensors.size(), 16u * 9 + 3);
  EXPECT_EQ(tensor(p, "token_embd.weight").ne, (std::array<int64_t, 4>{2048, 128256, 1, 1}));
  EXPECT_EQ(tensor(p, "blk.3.attn_k.weight").ne, (std::array<int64_t, 4>{2048, 512, 1, 1}));
  EXPECT_EQ(tensor(p, "blk.15.ffn_down.weight").ne, (std::array<int64_t, 4>{8192, 2048, 1, 1}));
  EXPECT_EQ(tensor(p, "rope_freqs.weight").ne[0], 32);
  EXPECT_EQ(tensor(p, "blk.0.attn_q.weight").type, TensorType::F16);
  EXPECT_EQ(tensor(p, "blk.0.attn_norm.weight").type, TensorType::F32);
}

TEST(SynthPlan, OtherPresetsShapes) {
  const ModelPlan q = plan("qwen2.5-0.5b", "F16");
  EXPECT_EQ(meta(q, "general.architecture").as_string(), "qwen2");
  EXPECT_EQ(meta(q, "tokenizer.ggml.tokens").as_array().size(), 151936u);
  EXPECT_EQ(tensor(q, "blk.23.attn_q.bias").ne[0], 896);
  EXPECT_EQ(tensor(q, "blk.0.attn_k.weight").ne, (std::array<int64_t, 4>{896, 128, 1, 1}));
  EXPECT_EQ(q.tensors.size(), 24u * 12 + 2);
  const ModelPlan q7 = plan("qwen2.5-7b", "F16");
  EXPECT_EQ(tensor(q7, "output.weight").ne, (std::array<int64_t, 4>{3584, 152064, 1, 1}));
  EXPECT_EQ(tensor(q7, "blk.27.ffn_up.weight").ne, (std::array<int64_t, 4>{3584, 18944, 1, 1}));
  const ModelPlan l3 = plan("llama-3.2-3b", "F16");
  EXPECT_EQ(tensor(l3, "blk.27.attn_q.weight").ne, (std::array<int64_t, 4>{3072, 3072, 1, 1}));
  EXPECT_EQ(tensor(l3, "blk.27.attn_v.weight").ne, (std::array<int64_t, 4>{3072, 1024, 1, 1}));
  const ModelPlan l2 = plan("llama-2-7b", "F16");
  EXPECT_EQ(meta(l2, "tokenizer.ggml.model").as_string(), "llama");
  EXPECT_EQ(tensor(l2, "output.weight").ne, (std::array<int64_t, 4>{4096, 32000, 1, 1}));
  EXPECT_EQ(tensor(l2, "blk.31.ffn_gate.weight").ne, (std::array<int64_t, 4>{4096, 11008, 1, 1}));
}

TEST(SynthPlan, Q4KMMixFollowsLlamaCppRules) {
  const ModelPlan p = plan("llama-3.2-1b", "Q4_K_M");
  EXPECT_EQ(meta(p, "general.file_type").as_int(), 15);
  // Tied output: token_embd plays output.weight's part and gets Q6_K.
  EXPECT_EQ(tensor(p, "token_embd.weight").type, TensorType::Q6_K);
  // use_more_bits for 16 layers: i < 2, i >= 14, or (i - 2) % 3 == 2.
  const std::set<int> more = {0, 1, 4, 7, 10, 13, 14, 15};
  for (int i = 0; i < 16; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    const TensorType want = more.count(i) ? TensorType::Q6_K : TensorType::Q4_K;
    EXPECT_EQ(tensor(p, b + "attn_v.weight").type, want) << i;
    EXPECT_EQ(tensor(p, b + "ffn_down.weight").type, want) << i;
    EXPECT_EQ(tensor(p, b + "attn_q.weight").type, TensorType::Q4_K);
    EXPECT_EQ(tensor(p, b + "ffn_up.weight").type, TensorType::Q4_K);
    EXPECT_EQ(tensor(p, b + "ffn_norm.weight").type, TensorType::F32);
  }
  // Untied: token_embd stays at the default type, output.weight gets Q6_K.
  const ModelPlan l2 = plan("llama-2-7b", "Q4_K_M");
  EXPECT_EQ(tensor(l2, "token_embd.weight").type, TensorType::Q4_K);
  EXPECT_EQ(tensor(l2, "output.weight").type, TensorType::Q6_K);
  const ModelPlan q8 = plan("llama-2-7b", "Q8_0");
  EXPECT_EQ(tensor(q8, "output.weight").type, TensorType::Q8_0);
  // Rows no block divides fall back to F16.
  EXPECT_EQ(choose_type(find_file_type("Q8_0"), "blk.0.attn_q.weight", {112, 112, 1, 1}, 2, 0, 1, true, 1),
            TensorType::F16);
}

TEST(SynthPlan, FallbacksWhenRowsAreNotWholeSuperBlocks) {
  // Qwen2.5-0.5B's 896-wide rows are not a multiple of 256: llama.cpp uses Q5_0 for Q4_K and
  // Q8_0 for Q6_K, and Q8_0 for the (tied) output.
  const ModelPlan p = plan("qwen2.5-0.5b", "Q4_K_M");
  EXPECT_EQ(tensor(p, "token_embd.weight").type, TensorType::Q8_0);
  EXPECT_EQ(tensor(p, "blk.6.attn_q.weight").type, TensorType::Q5_0);
  EXPECT_EQ(tensor(p, "blk.6.attn_v.weight").type, TensorType::Q5_0);
  EXPECT_EQ(tensor(p, "blk.0.attn_v.weight").type, TensorType::Q8_0);
  EXPECT_EQ(tensor(p, "blk.6.ffn_down.weight").type, TensorType::Q4_K);  // 4864 = 19 x 256
  EXPECT_EQ(tensor(p, "blk.0.ffn_down.weight").type, TensorType::Q6_K);
}

TEST(SynthPlan, SizesMatchPublishedGgufFiles) {
  // Published Q4_K_M files: Llama-3.2-1B-Instruct 807.7 MB (bartowski), llama-2-7b 4.08 GB
  // (TheBloke). Metadata is a few MB, so the tensor data must come within 2%.
  EXPECT_NEAR(plan("llama-3.2-1b", "Q4_K_M").data_bytes() / 1e6, 807.7, 807.7 * 0.02);
  EXPECT_NEAR(plan("llama-2-7b", "Q4_K_M").data_bytes() / 1e9, 4.08, 4.08 * 0.02);
  // F16: two bytes for each of llama-2-7b's 6.74 billion parameters.
  EXPECT_NEAR(plan("llama-2-7b", "F16").data_bytes() / 1e9, 13.48, 0.05);
}

TEST(SynthPlan, BpeVocabIsValid) {
  for (const char* preset : {"llama-3.2-1b", "qwen2.5-0.5b", "demo"}) {
    SCOPED_TRACE(preset);
    const ModelPlan p = plan(preset, "F32");
    std::unordered_set<std::string> tokens;
    for (const auto& t : meta(p, "tokenizer.ggml.tokens").as_array())
      EXPECT_TRUE(tokens.insert(t.as_string()).second) << "duplicate " << t.as_string();
    // The byte-level alphabet: every byte has a token ("Ġ" is the space, "Ċ" the newline).
    for (const char* b : {"a", "Z", "!", "\xC4\xA0", "\xC4\x8A", "\xC4\x80", "\xC3\xBF"})
      EXPECT_TRUE(tokens.count(b)) << b;
    size_t n_merges = 0;
    for (const auto& m : meta(p, "tokenizer.ggml.merges").as_array()) {
      const std::string& s = m.as_string();
      const size_t space = s.find(' ');
      ASSERT_NE(space, std::string::npos) << s;
      EXPECT_TRUE(tokens.count(s.substr(0, space))) << s;
      EXPECT_TRUE(tokens.count(s.substr(space + 1))) << s;
      EXPECT_TRUE(tokens.count(s.substr(0, space) + s.substr(space + 1))) << s;
      ++n_merges;
    }
    EXPECT_GT(n_merges, 150u);
    const auto& types = meta(p, "tokenizer.ggml.token_type").as_array();
    EXPECT_EQ(types.size(), tokens.size());
    const int64_t eos = meta(p, "tokenizer.ggml.eos_token_id").as_int();
    ASSERT_LT(static_cast<size_t>(eos), types.size());
    EXPECT_EQ(types.int_at(static_cast<size_t>(eos)), 3);  // control
  }
}

TEST(SynthPlan, SentencePieceVocabHasByteFallback) {
  const ModelPlan p = plan("llama-2-7b", "F32");
  const auto& tokens = meta(p, "tokenizer.ggml.tokens").as_array();
  ASSERT_EQ(tokens.size(), 32000u);
  EXPECT_EQ(tokens[0].as_string(), "<unk>");
  EXPECT_EQ(tokens[3].as_string(), "<0x00>");
  EXPECT_EQ(tokens[258].as_string(), "<0xFF>");
  EXPECT_EQ(meta(p, "tokenizer.ggml.token_type").as_array()[100].as_int(), 6);
  EXPECT_EQ(meta(p, "tokenizer.ggml.scores").as_array().size(), 32000u);
}

TEST(SynthPlan, DemoHasChatTemplateAndSmallVocab) {
  const ModelPlan p = plan("demo", "F32");
  EXPECT_NE(meta(p, "tokenizer.chat_template").as_string().find("<|start_header_id|>"), std::string::npos);
  const auto n = meta(p, "tokenizer.ggml.tokens").as_array().size();
  EXPECT_GT(n, 400u);
  EXPECT_LT(n, 1024u);
  EXPECT_EQ(meta(p, "llama.vocab_size").as_int(), static_cast<int64_t>(n));
}

TEST(SynthPlan, BadOptionsAreErrors) {
  Options o;
  o.preset = "gpt-5";
  EXPECT_THROW(plan_model(o), Error);
  o.preset = "demo";
  o.type = "Q9_X";
  EXPECT_THROW(plan_model(o), Error);
  o.type = "F32";
  o.vocab = 1000;
  EXPECT_THROW(plan_model(o), Error);
  o = Options{};
  o.preset = "llama-3.2-1b";
  o.embd = 100;  // not 32 heads of even size
  EXPECT_THROW(plan_model(o), Error);
  o.embd = 0;
  o.vocab = 100;  // too small for the special tokens
  EXPECT_THROW(plan_model(o), Error);
}

namespace {

// GPT-2's byte-to-character table, rebuilt here from its definition.
std::map<std::string, unsigned char> byte_level_decoder() {
  std::map<std::string, unsigned char> dec;
  int next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    const int cp = printable ? b : next++;
    std::string s;
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    dec[s] = static_cast<unsigned char>(b);
  }
  return dec;
}

}  // namespace

TEST(SynthPlan, DemoTokenizerCompressesAndRoundTrips) {
  const ModelPlan p = plan("demo", "F32");
  std::unordered_set<std::string> tokens;
  for (const auto& t : meta(p, "tokenizer.ggml.tokens").as_array()) tokens.insert(t.as_string());
  std::map<std::pair<std::string, std::string>, size_t> rank;
  for (const auto& m : meta(p, "tokenizer.ggml.merges").as_array()) {
    const std::string& s = m.as_string();
    rank.emplace(std::make_pair(s.substr(0, s.find(' ')), s.substr(s.find(' ') + 1)), rank.size());
  }
  EXPECT_GE(rank.size(), 250u);
  const auto dec = byte_level_decoder();
  std::map<unsigned char, std::string> enc;
  for (const auto& [s, b] : dec) enc[b] = s;

  // Plain BPE: per word, merge the adjacent pair with the lowest rank until none applies.
  const std::string text = "The keeper of the lighthouse wrote in her book, and the birds came back. Zebra! \xC3\xA9t\xC3\xA9";
  size_t n_tokens = 0;
  std::string decoded;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start + 1);
    if (end == std::string::npos) end = text.size();
    std::vector<std::string> sym;
    for (size_t i = start; i < end; ++i) sym.push_back(enc[static_cast<unsigned char>(text[i])]);
    for (;;) {
      size_t best = SIZE_MAX, at = 0;
      for (size_t i = 0; i + 1 < sym.size(); ++i) {
        auto it = rank.find({sym[i], sym[i + 1]});
        if (it != rank.end() && it->second < best) best = it->second, at = i;
      }
      if (best == SIZE_MAX) break;
      sym[at] += sym[at + 1];
      sym.erase(sym.begin() + static_cast<ptrdiff_t>(at) + 1);
    }
    for (const auto& s : sym) {
      EXPECT_TRUE(tokens.count(s)) << s;
      ++n_tokens;
      // Decode the token character by character (each is one or two UTF-8 bytes here).
      for (size_t i = 0; i < s.size();) {
        const size_t len = (static_cast<unsigned char>(s[i]) < 0x80) ? 1 : 2;
        decoded += static_cast<char>(dec.at(s.substr(i, len)));
        i += len;
      }
    }
    start = end;
  }
  EXPECT_EQ(decoded, text);
  EXPECT_LT(n_tokens, text.size() / 2);  // English from the training text's domain compresses
}

TEST(SynthPlan, FileTypeIdsAreLlamaCpps) {
  // The GGUF module's own table of llama_ftype names is an independent source for the ids.
  for (const auto& ft : file_types()) EXPECT_EQ(gguf::file_type_name(ft.ftype_id), ft.name);
}

// The bge-small preset against a file llama.cpp's converter wrote (the BERT fixture): the same
// tensor names and kinds, and every metadata key the fixture has, with bge-small's shapes.
TEST(SynthPlan, BgeSmallHasTheBertFixtureLayout) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto fixture = gguf::File::open(fixtures::dir() / "models" / "bert-bge-f16.gguf");
  const ModelPlan p = plan("bge-small", "F16");
  for (const auto& kv : fixture->metadata())
    if (kv.key != "general.name") {
      EXPECT_NO_THROW(meta(p, kv.key)) << kv.key;
    }
  const int64_t fixture_layers = *fixture->get_int("bert.block_count");
  size_t per_layer = 0;
  for (const auto& t : fixture->tensors()) {
    SCOPED_TRACE(t.name);
    per_layer += t.name.starts_with("blk.0.");
    const TensorPlan& ours = tensor(p, t.name);
    EXPECT_EQ(ours.n_dims, t.n_dims);
    EXPECT_EQ(ours.type, t.type);
  }
  EXPECT_EQ(p.tensors.size(), fixture->tensors().size() + per_layer * static_cast<size_t>(12 - fixture_layers));
  EXPECT_EQ(meta(p, "bert.embedding_length").as_int(), 384);
  EXPECT_EQ(meta(p, "bert.block_count").as_int(), 12);
  EXPECT_EQ(meta(p, "bert.attention.head_count").as_int(), 12);
  EXPECT_EQ(meta(p, "bert.feed_forward_length").as_int(), 1536);
  EXPECT_EQ(meta(p, "tokenizer.ggml.tokens").as_array().size(), 30522u);
  EXPECT_EQ(tensor(p, "blk.11.ffn_up.weight").ne, (std::array<int64_t, 4>{384, 1536, 1, 1}));
  EXPECT_EQ(tensor(p, "position_embd.weight").ne, (std::array<int64_t, 4>{384, 512, 1, 1}));
}
