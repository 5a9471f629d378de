// synth's vocabularies through the real tokenizer: any text round-trips, and the demo model's
// learned merges compress English.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include <unistd.h>

#include "gguf/gguf.h"
#include "model/synth.h"
#include "tokenizer/tokenizer.h"

using namespace airlock;
using namespace airlock::synth;

namespace {

const char* kTexts[] = {
    "Hello world",
    "The lighthouse keeper woke before the sun.",
    "  leading spaces, tabs\tand\nnewlines\n\n",
    "caf\xC3\xA9 na\xC3\xAFve \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x98\x80 emoji",
    "int main() { return 42; } // 1234567890",
};

std::unique_ptr<tokenizer::Tokenizer> load(const Options& o, const std::string& tag) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("airlock-test-synth-tok-" + std::to_string(::getpid()) + "-" + tag + ".gguf");
  write_model(plan_model(o), 1, path);
  auto file = gguf::File::open(path);
  auto tok = tokenizer::Tokenizer::from_gguf(*file);
  std::filesystem::remove(path);
  return tok;
}

}  // namespace

TEST(SynthTokenizer, EveryPresetRoundTripsText) {
  for (const auto& preset : presets()) {
    SCOPED_TRACE(preset.name);
    Options o;
    o.preset = preset.name;
    o.type = "Q8_0";
    if (preset.vocab != VocabKind::Demo) {
      o.layers = 1;
      o.embd = preset.n_head * 8;
      o.ff = 256;
      // One real-sized vocabulary is enough to cover size; the others stay small for speed.
      if (preset.name != "llama-3.2-1b") o.vocab = 4096;
    }
    const auto tok = load(o, preset.name);
    if (preset.name == "llama-3.2-1b") {
      EXPECT_EQ(tok->n_vocab(), 128256);
    }
    for (const char* text : kTexts) {
      const auto ids = tok->encode(text, false, false);
      EXPECT_FALSE(ids.empty());
      if (preset.vocab != VocabKind::WordPiece) {
        EXPECT_EQ(tok->decode(ids), text);
      } else if (std::none_of(text, text + std::strlen(text), [](char c) { return c & 0x80; })) {
        // WordPiece is lossy (lowercased, spaces normalised), but ASCII needs no [UNK].
        EXPECT_EQ(tok->decode(ids).find("[UNK]"), std::string::npos) << text;
      }
    }
    if (preset.vocab != VocabKind::WordPiece) {
      EXPECT_TRUE(tok->is_eog(tok->eos()));
    }
  }
}

TEST(SynthTokenizer, DemoCompressesEnglishAndKnowsItsSpecialTokens) {
  Options o;
  o.preset = "demo";
  o.type = "F32";
  const auto tok = load(o, "demo");
  const std::string text = "The keeper of the lighthouse wrote in her book, and the birds came back.";
  const auto ids = tok->encode(text, false, false);
  EXPECT_LT(ids.size(), text.size() / 2);
  const auto chat = tok->encode("<|start_header_id|>user<|end_header_id|>", false, true);
  ASSERT_GE(chat.size(), 3u);
  EXPECT_TRUE(tok->is_control(chat.front()));
  EXPECT_EQ(tok->token_to_piece(chat.front()), "<|start_header_id|>");
  EXPECT_TRUE(tok->is_control(chat.back()));
  EXPECT_FALSE(tok->is_control(chat[1]));
  EXPECT_TRUE(tok->add_bos());
}
