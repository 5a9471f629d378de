// Behaviour beyond the reference vectors: edge-case text, special-token parsing, round trips,
// decoding options and streaming. Expected ids are derived from the vocab layout (e.g. Llama 2's
// byte tokens <0xNN> are ids 3 + NN) or from the reference vectors, never from our own output.
#include <gtest/gtest.h>

#include <airlock/error.h>

#include <algorithm>

#include "gguf/gguf.h"
#include "support/fixtures.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

using namespace airlock;
using tokenizer::Tokenizer;

namespace {

std::unique_ptr<Tokenizer> load(const std::string& rel) {
  auto file = gguf::File::open(fixtures::dir() / rel);
  return Tokenizer::from_gguf(*file);
}

struct Vocabs {
  std::unique_ptr<Tokenizer> spm, bpe, qwen, gpt2, bert;
};

const Vocabs& vocabs() {
  static const Vocabs v = [] {
    Vocabs v;
    v.spm = load("vocab/ggml-vocab-llama-spm.gguf");
    v.bpe = load("vocab/ggml-vocab-llama-bpe.gguf");
    v.qwen = load("vocab/ggml-vocab-qwen2.gguf");
    v.gpt2 = load("vocab/ggml-vocab-gpt-2.gguf");
    v.bert = load("vocab/ggml-vocab-bert-bge.gguf");
    return v;
  }();
  return v;
}

int32_t spm_byte(uint8_t b) { return 3 + b; }  // Llama 2: <0x00> is id 3

const char* const kVaried[] = {
    "Hello world",
    "  leading and trailing spaces  ",
    "tabs\tand\nnewlines\r\n\n\nand   runs     of spaces",
    "emoji 🙂🦙 and a family 👨‍👩‍👧 and flags 🇩🇪",
    "中文字符和日本語のテキスト、한국어",
    "Ünïcödé àccents, ß, Ω, Ж, عربى, हिन्दी",
    "code: for (int i = 0; i < n; ++i) { x += a[i] * 3.14159; } // done",
    "numbers 1 12 123 1234 12345 3.5e-10 0x1F",
    "quotes 'single' \"double\" it's we'll they're I'VE",
    "<|eot_id|> <s> </s> [CLS] look like special tokens",
};

TEST(TokenizerEdgeCases, EmptyText) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto& v = vocabs();
  EXPECT_TRUE(v.spm->encode("", false, false).empty());
  EXPECT_EQ(v.spm->encode("", true, false), std::vector<int32_t>{1});
  EXPECT_EQ(v.bpe->encode("", true, false), std::vector<int32_t>{128000});
  EXPECT_TRUE(v.qwen->encode("", true, false).empty());  // Qwen2 adds no BOS
  EXPECT_EQ(v.bert->encode("", true, false), (std::vector<int32_t>{101, 102}));
  EXPECT_EQ(v.spm->decode({}), "");
}

TEST(TokenizerEdgeCases, WhitespaceOnly) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto& v = vocabs();
  // WordPiece drops whitespace entirely.
  EXPECT_TRUE(v.bert->encode(" \t\n\r  ", false, false).empty());
  for (const char* ws : {" ", "   ", "\t", "\n\n", " \t\n \r\n   "}) {
    EXPECT_EQ(v.bpe->decode(v.bpe->encode(ws, false, false)), ws);
    EXPECT_EQ(v.spm->decode(v.spm->encode(ws, false, false)), ws);
  }
}

TEST(TokenizerEdgeCases, SpmEmojiUsesByteFallback) {
  AIRLOCK_REQUIRE_FIXTURES();
  // "🙂" is not in the Llama 2 vocab: "▁" then its four UTF-8 bytes as byte tokens.
  const auto ids = vocabs().spm->encode("\xF0\x9F\x99\x82", false, false);
  EXPECT_EQ(ids, (std::vector<int32_t>{29871, spm_byte(0xF0), spm_byte(0x9F), spm_byte(0x99),
                                       spm_byte(0x82)}));
}

TEST(TokenizerEdgeCases, InvalidUtf8) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto& v = vocabs();
  const std::string bad = "ab\xFF\xC3(\xE2\x82 x\x80";
  // SentencePiece: invalid bytes become byte tokens, and decoding restores them exactly.
  const auto spm = v.spm->encode(bad, false, false);
  EXPECT_NE(std::find(spm.begin(), spm.end(), spm_byte(0xFF)), spm.end());
  EXPECT_EQ(v.spm->decode(spm), bad);
  // Byte-level BPE: each invalid byte is read as U+FFFD first, as the reference does.
  EXPECT_EQ(v.bpe->encode("\xFF", false, false), v.bpe->encode("\xEF\xBF\xBD", false, false));
  EXPECT_EQ(v.bpe->encode("a\xE2\x82 b", false, false),
            v.bpe->encode("a\xEF\xBF\xBD\xEF\xBF\xBD b", false, false));
  EXPECT_FALSE(v.qwen->encode(bad, true, true).empty());
  // WordPiece drops them.
  EXPECT_EQ(v.bert->encode("a\xFF" "b", false, false), v.bert->encode("ab", false, false));
}

TEST(TokenizerSpecial, ControlTokensOnlyWithParseSpecial) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto& v = vocabs();
  const std::string text = "hi<|eot_id|>";
  const auto parsed = v.bpe->encode(text, false, true);
  ASSERT_FALSE(parsed.empty());
  EXPECT_EQ(parsed.back(), 128009);
  const auto raw = v.bpe->encode(text, false, false);
  EXPECT_EQ(std::count(raw.begin(), raw.end(), 128009), 0);
  EXPECT_EQ(v.bpe->decode(raw), text);

  // Qwen2 chat markers.
  const auto chat = v.qwen->encode("<|im_start|>user\nhi<|im_end|>", false, true);
  EXPECT_EQ(chat.front(), 151644);
  EXPECT_EQ(chat.back(), 151645);
  EXPECT_EQ(std::count(chat.begin(), chat.end(), 151644), 1);
  const auto plain = v.qwen->encode("<|im_start|>user\nhi<|im_end|>", false, false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 151644), 0);

  // SentencePiece: text after a special token gets the prefix space again.
  const auto spm = v.spm->encode("Hello</s>world", false, true);
  EXPECT_NE(std::find(spm.begin(), spm.end(), 2), spm.end());
  EXPECT_EQ(spm, (std::vector<int32_t>{15043, 2, 3186}));  // 15043 "▁Hello", 3186 "▁world"
  const auto spm_raw = v.spm->encode("Hello</s>world", false, false);
  EXPECT_EQ(std::count(spm_raw.begin(), spm_raw.end(), 2), 0);
}

TEST(TokenizerSpecial, AddSpecialFollowsMetadata) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto& v = vocabs();
  EXPECT_TRUE(v.spm->add_bos());
  EXPECT_FALSE(v.spm->add_eos());
  EXPECT_EQ(v.spm->encode("Hello world", true, false),
            (std::vector<int32_t>{1, 15043, 3186}));  // llama-spm-q8_0.ref.json
  EXPECT_EQ(v.bpe->bos(), 128000);
  EXPECT_FALSE(v.qwen->add_bos());
  const auto bert = v.bert->encode("Hello world", true, false);
  EXPECT_EQ(bert, (std::vector<int32_t>{101, 7592, 2088, 102}));  // bert-bge-f16.ref.json
}

TEST(TokenizerSpecial, EndOfGeneration) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto& v = vocabs();
  EXPECT_TRUE(v.spm->is_eog(2));
  EXPECT_FALSE(v.spm->is_eog(1));
  EXPECT_TRUE(v.bpe->is_eog(128009));  // <|eot_id|>, the eos of the metadata
  EXPECT_TRUE(v.bpe->is_eog(128008));  // <|eom_id|>, found by text
  EXPECT_TRUE(v.qwen->is_eog(151645));  // <|im_end|>
  EXPECT_TRUE(v.qwen->is_eog(151643));  // <|endoftext|>
  EXPECT_FALSE(v.qwen->is_eog(151644));
  EXPECT_FALSE(v.bpe->is_eog(-1));
  EXPECT_FALSE(v.bpe->is_eog(1 << 30));
}

TEST(TokenizerRoundTrip, DecodeEncodeIsIdentity) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto& v = vocabs();
  for (const char* text : kVaried) {
    SCOPED_TRACE(text);
    EXPECT_EQ(v.spm->decode(v.spm->encode(text, false, false)), text);
    EXPECT_EQ(v.qwen->decode(v.qwen->encode(text, false, false)), text);
    // Llama 3's decode() cleans up spaces (see PiecesAndOptions); its pieces are exact.
    std::string pieces;
    for (int32_t id : v.bpe->encode(text, false, false)) pieces += v.bpe->token_to_piece(id);
    EXPECT_EQ(pieces, text);
  }
  // With BOS added and removed again.
  tokenizer::DecodeOptions opt;
  opt.remove_special = true;
  EXPECT_EQ(v.bpe->decode(v.bpe->encode("round trip", true, false), opt), "round trip");
}

TEST(TokenizerDecode, PiecesAndOptions) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto& v = vocabs();
  EXPECT_EQ(v.spm->token_to_piece(15043), " Hello");
  EXPECT_EQ(v.spm->token_to_piece(spm_byte(0x0A)), "\n");
  EXPECT_EQ(v.spm->token_to_piece(1), "<s>");
  EXPECT_EQ(v.spm->token_to_piece(1, false), "");
  EXPECT_EQ(v.gpt2->token_to_piece(995), " world");  // "Ġworld" in GPT-2's byte alphabet
  EXPECT_EQ(v.bpe->token_text(128009), "<|eot_id|>");
  EXPECT_EQ(v.bpe->vocab_text(220), "\xC4\xA0");  // "Ġ", the space byte
  EXPECT_EQ(v.bpe->token_text(220), " ");
  EXPECT_THROW(v.spm->token_to_piece(32000), Error);
  EXPECT_THROW(v.spm->token_to_piece(-1), Error);
  const std::vector<int32_t> bad{15043, 99999};
  EXPECT_THROW(v.spm->decode(bad), Error);

  tokenizer::DecodeOptions hide;
  hide.unparse_special = false;
  const std::vector<int32_t> with_eot{9906, 128009};  // "Hello" <|eot_id|>
  EXPECT_EQ(v.bpe->decode(with_eot), "Hello<|eot_id|>");
  EXPECT_EQ(v.bpe->decode(with_eot, hide), "Hello");
  // GPT-2 vocabs clean up spaces before punctuation when decoding, as the reference does.
  EXPECT_EQ(v.gpt2->decode(v.gpt2->encode("a , b . c 's", false, false)), "a, b. c's");
  EXPECT_EQ(v.qwen->decode(v.qwen->encode("a , b", false, false)), "a , b");
}

TEST(StreamDecoder, HoldsSplitCharactersBack) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto& spm = *vocabs().spm;
  tokenizer::StreamDecoder s(spm);
  EXPECT_EQ(s.push(15043), " Hello");
  EXPECT_EQ(s.push(29871), " ");
  EXPECT_EQ(s.push(spm_byte(0xF0)), "");
  EXPECT_EQ(s.push(spm_byte(0x9F)), "");
  EXPECT_EQ(s.push(spm_byte(0x99)), "");
  EXPECT_EQ(s.push(spm_byte(0x82)), "\xF0\x9F\x99\x82");
  EXPECT_EQ(s.flush(), "");
}

TEST(StreamDecoder, InvalidBytesBecomeReplacementCharacters) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto& spm = *vocabs().spm;
  tokenizer::StreamDecoder s(spm);
  EXPECT_EQ(s.push(spm_byte(0xE2)), "");
  EXPECT_EQ(s.push(spm_byte(0x82)), "");
  // "A" can not continue the sequence: E2 82 is one maximal invalid subpart.
  EXPECT_EQ(s.push(spm_byte('A')), "\xEF\xBF\xBD" "A");
  EXPECT_EQ(s.push(spm_byte(0xFF)), "\xEF\xBF\xBD");
  EXPECT_EQ(s.push(spm_byte(0xF0)), "");
  EXPECT_EQ(s.flush(), "\xEF\xBF\xBD");  // truncated at the end of the stream
  EXPECT_EQ(s.flush(), "");
}

TEST(StreamDecoder, StreamEqualsWholeDecodeForValidText) {
  AIRLOCK_REQUIRE_FIXTURES();
  const auto& v = vocabs();
  for (const Tokenizer* t : {v.spm.get(), v.bpe.get(), v.qwen.get()}) {
    for (const char* text : kVaried) {
      const auto ids = t->encode(text, false, false);
      tokenizer::StreamDecoder s(*t);
      std::string streamed;
      for (int32_t id : ids) {
        const std::string chunk = s.push(id);
        EXPECT_EQ(tokenizer::utf8_replace_invalid(chunk), chunk) << "half a character emitted";
        streamed += chunk;
      }
      streamed += s.flush();
      // The stream keeps SentencePiece's prefix space; decode() drops it.
      std::string whole;
      for (int32_t id : ids) whole += t->token_to_piece(id);
      EXPECT_EQ(streamed, whole) << text;
    }
  }
}

}  // namespace
