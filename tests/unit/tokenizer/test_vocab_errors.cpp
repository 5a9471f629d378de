// Hostile or malformed tokenizer metadata: a clear airlock::Error naming the key, or a working
// tokenizer that never crashes, hangs or indexes out of range. Each case builds a small GGUF
// image in memory.
#include <gtest/gtest.h>

#include <airlock/error.h>

#include <cstring>
#include <random>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

using namespace airlock;
using tokenizer::Tokenizer;

namespace {

// Minimal GGUF v3 writer: metadata only, no tensors.
class GgufImage {
 public:
  GgufImage& str(const std::string& key, const std::string& v) {
    head(key, 8);
    put_str(v);
    return *this;
  }
  GgufImage& u32(const std::string& key, uint32_t v) {
    head(key, 4);
    put(v);
    return *this;
  }
  GgufImage& flag(const std::string& key, bool v) {
    head(key, 7);
    body_.push_back(v ? 1 : 0);
    return *this;
  }
  GgufImage& strings(const std::string& key, const std::vector<std::string>& v) {
    head(key, 9);
    put(uint32_t{8});
    put(uint64_t{v.size()});
    for (const auto& s : v) put_str(s);
    return *this;
  }
  GgufImage& floats(const std::string& key, const std::vector<float>& v) {
    head(key, 9);
    put(uint32_t{6});
    put(uint64_t{v.size()});
    for (float f : v) put(f);
    return *this;
  }
  GgufImage& ints(const std::string& key, const std::vector<int32_t>& v) {
    head(key, 9);
    put(uint32_t{5});
    put(uint64_t{v.size()});
    for (int32_t i : v) put(i);
    return *this;
  }

  std::unique_ptr<Tokenizer> load() {
    bytes_.clear();
    append(uint32_t{0x46554747});  // "GGUF"
    append(uint32_t{3});
    append(uint64_t{0});
    append(n_kv_);
    bytes_.insert(bytes_.end(), body_.begin(), body_.end());
    file_ = gguf::File::parse(bytes_.data(), bytes_.size(), "hostile.gguf");
    return Tokenizer::from_gguf(*file_);
  }

 private:
  template <typename T>
  static void raw(std::vector<uint8_t>& out, T v) {
    const size_t at = out.size();
    out.resize(at + sizeof v);
    std::memcpy(out.data() + at, &v, sizeof v);
  }
  template <typename T>
  void put(T v) {
    raw(body_, v);
  }
  template <typename T>
  void append(T v) {
    raw(bytes_, v);
  }
  void put_str(const std::string& s) {
    put(uint64_t{s.size()});
    body_.insert(body_.end(), s.begin(), s.end());
  }
  void head(const std::string& key, uint32_t type) {
    put_str(key);
    put(type);
    ++n_kv_;
  }
  std::vector<uint8_t> body_, bytes_;
  uint64_t n_kv_ = 0;
  std::unique_ptr<gguf::File> file_;
};

// Expects an airlock::Error whose message contains `needle`.
void expect_error(GgufImage& img, const std::string& needle) {
  try {
    img.load();
    ADD_FAILURE() << "no error; expected one mentioning " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line";
  }
}

const std::vector<std::string> kTiny = {"<unk>", "<s>", "</s>", "a", "b", "ab", "\xE2\x96\x81"};

TEST(VocabErrors, MissingOrUnsupportedModel) {
  GgufImage a;
  a.strings("tokenizer.ggml.tokens", kTiny);
  expect_error(a, "tokenizer.ggml.model");
  GgufImage b;
  b.str("tokenizer.ggml.model", "t5").strings("tokenizer.ggml.tokens", kTiny);
  expect_error(b, "'t5' is not supported");
}

TEST(VocabErrors, MissingEmptyOrMistypedTokens) {
  GgufImage a;
  a.str("tokenizer.ggml.model", "llama");
  expect_error(a, "missing tokenizer.ggml.tokens");
  GgufImage b;
  b.str("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", {});
  expect_error(b, "tokenizer.ggml.tokens is empty");
  GgufImage c;
  c.str("tokenizer.ggml.model", "llama").ints("tokenizer.ggml.tokens", {1, 2});
  expect_error(c, "tokenizer.ggml.tokens has elements of type");
  GgufImage d;
  d.str("tokenizer.ggml.model", "llama").u32("tokenizer.ggml.tokens", 3);
  expect_error(d, "tokenizer.ggml.tokens is not an array");
}

TEST(VocabErrors, ParallelArraysMustMatch) {
  GgufImage a;
  a.str("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", kTiny)
      .floats("tokenizer.ggml.scores", {0, 0});
  expect_error(a, "tokenizer.ggml.scores has 2 entries for 7 tokens");
  GgufImage b;
  b.str("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", kTiny)
      .ints("tokenizer.ggml.token_type", {1});
  expect_error(b, "tokenizer.ggml.token_type has 1 entries for 7 tokens");
  GgufImage c;
  c.str("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", kTiny)
      .strings("tokenizer.ggml.token_type", kTiny);
  expect_error(c, "tokenizer.ggml.token_type has elements of type");
}

TEST(VocabErrors, MalformedMergesAndFlags) {
  GgufImage a;
  a.str("tokenizer.ggml.model", "gpt2").strings("tokenizer.ggml.tokens", {"a", "b", "ab"})
      .strings("tokenizer.ggml.merges", {"a b", "ab"});
  expect_error(a, "tokenizer.ggml.merges[1]");
  GgufImage b;
  b.str("tokenizer.ggml.model", "gpt2").strings("tokenizer.ggml.tokens", {"a"})
      .u32("tokenizer.ggml.add_bos_token", 1);
  expect_error(b, "tokenizer.ggml.add_bos_token is not a bool");
  GgufImage c;
  c.str("tokenizer.ggml.model", "gpt2").strings("tokenizer.ggml.tokens", {"a"})
      .str("tokenizer.ggml.bos_token_id", "1");
  expect_error(c, "tokenizer.ggml.bos_token_id is not an integer");
}

TEST(VocabHostile, OutOfRangeSpecialIdsAreIgnored) {
  GgufImage img;
  img.str("tokenizer.ggml.model", "gpt2").strings("tokenizer.ggml.tokens", {"a", "b", "ab"})
      .strings("tokenizer.ggml.merges", {"a b"})
      .u32("tokenizer.ggml.bos_token_id", 1000).u32("tokenizer.ggml.eos_token_id", 0xFFFFFFFF)
      .flag("tokenizer.ggml.add_bos_token", true);
  auto tok = img.load();
  EXPECT_EQ(tok->bos(), -1);
  EXPECT_EQ(tok->eos(), -1);
  EXPECT_FALSE(tok->add_bos());  // nothing valid to add
  EXPECT_EQ(tok->encode("abab", true, true), (std::vector<int32_t>{2, 2}));
}

TEST(VocabHostile, EmptyAndSpecialTokensDoNotHang) {
  GgufImage img;
  img.str("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", {"<unk>", "", "x", ""})
      .ints("tokenizer.ggml.token_type", {2, 3, 1, 4});
  auto tok = img.load();
  // No byte tokens: unknown characters become <unk>.
  const auto ids = tok->encode("x y", true, true);
  EXPECT_FALSE(ids.empty());
  for (int32_t id : ids) EXPECT_TRUE(id >= 0 && id < tok->n_vocab());
}

TEST(VocabHostile, RandomBytesNeverBreakEncoding) {
  // Tiny vocabularies of each kind, fed random bytes: ids stay in range.
  GgufImage spm, bpe, wpm;
  spm.str("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", kTiny)
      .floats("tokenizer.ggml.scores", {0, 0, 0, -1, -1, -0.5f, -2});
  bpe.str("tokenizer.ggml.model", "gpt2").str("tokenizer.ggml.pre", "llama-bpe")
      .strings("tokenizer.ggml.tokens", {"a", "b", "ab", "\xC4\xA0", "<|x|>"})
      .ints("tokenizer.ggml.token_type", {1, 1, 1, 1, 3})
      .strings("tokenizer.ggml.merges", {"a b", "ab ab", "\xC4\xA0 a"});
  wpm.str("tokenizer.ggml.model", "bert").strings("tokenizer.ggml.tokens", {"[UNK]", "\xE2\x96\x81" "a", "b"})
      .u32("tokenizer.ggml.unknown_token_id", 0);
  std::vector<std::unique_ptr<Tokenizer>> toks;
  toks.push_back(spm.load());
  toks.push_back(bpe.load());
  toks.push_back(wpm.load());
  std::mt19937 rng(1234);
  for (int round = 0; round < 300; ++round) {
    std::string text(rng() % 64, '\0');
    for (char& c : text) c = static_cast<char>(rng() % 4 == 0 ? "ab <|x|>"[rng() % 8] : rng());
    for (const auto& t : toks) {
      const auto ids = t->encode(text, true, round % 2 == 0);
      for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < t->n_vocab());
      (void)t->decode(ids);
    }
  }
}

}  // namespace
