#include <gtest/gtest.h>

#include "airlock/error.h"
#include "gguf/file_type.h"
#include "gguf/gguf.h"
#include "support/fixtures.h"

using namespace airlock;

TEST(GgufReader, EveryFixtureParses) {
  AIRLOCK_REQUIRE_FIXTURES();
  int n = 0;
  for (const char* sub : {"vocab", "models"}) {
    for (auto& e : std::filesystem::directory_iterator(fixtures::dir() / sub)) {
      if (e.path().extension() != ".gguf") continue;
      SCOPED_TRACE(e.path().string());
      auto f = gguf::File::open(e.path());
      EXPECT_FALSE(f->architecture().empty());
      EXPECT_TRUE(f->find("tokenizer.ggml.model"));
      ++n;
    }
  }
  EXPECT_GE(n, 15);
}

TEST(GgufReader, Stories260K) {
  AIRLOCK_REQUIRE_FIXTURES();
  auto f = gguf::File::open(fixtures::dir() / "models/stories260K.gguf");
  EXPECT_EQ(f->architecture(), "llama");
  EXPECT_EQ(f->get_int("llama.embedding_length"), 64);
  const auto* t = f->tensor("token_embd.weight");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->type, TensorType::F32);
  EXPECT_EQ(t->ne[0], 64);
  EXPECT_EQ(t->ne[1], 512);
  EXPECT_EQ(t->nbytes, 64u * 512u * 4u);
}

// The typed array getters the tokenizer uses, on the largest vocabulary (README: 151,665 tokens).
TEST(GgufReader, TypedArraysOfQwen2Vocab) {
  AIRLOCK_REQUIRE_FIXTURES();
  auto f = gguf::File::open(fixtures::dir() / "vocab/ggml-vocab-qwen2.gguf");
  const auto tokens = f->get_strings("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens);
  ASSERT_EQ(tokens->size(), 151665u);
  // Byte-level BPE vocabularies start with the printable ASCII bytes.
  EXPECT_EQ((*tokens)[0], "!");
  EXPECT_EQ((*tokens)[1], "\"");
  const auto types = f->get_int32s("tokenizer.ggml.token_type");
  ASSERT_TRUE(types);
  EXPECT_EQ(types->size(), tokens->size());
  const auto* merges = f->get_array("tokenizer.ggml.merges");
  ASSERT_TRUE(merges);
  EXPECT_EQ(merges->elem_type(), gguf::ValueType::STRING);
  EXPECT_NE(merges->string_at(0).find(' '), std::string_view::npos);  // "a b": two parts
  EXPECT_FALSE(f->get_strings("no.such.key"));
  // Wrong element type or not an array: an error naming the file and key.
  try {
    f->get_floats("tokenizer.ggml.tokens");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ggml-vocab-qwen2.gguf: metadata key 'tokenizer.ggml.tokens': expected an "
                                         "array of numbers, found an array of string"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(f->get_strings("tokenizer.ggml.model"), Error);
}

TEST(GgufReader, FileTypeNames) {
  AIRLOCK_REQUIRE_FIXTURES();
  // Each quantised fixture is named for its llama.cpp file type.
  for (const char* q : {"q8_0", "q4_0", "q4_k_m", "q5_k_m", "q2_k"}) {
    auto f = gguf::File::open(fixtures::dir() / "models" / (std::string("llama-spm-") + q + ".gguf"));
    auto ft = f->get_int("general.file_type");
    ASSERT_TRUE(ft) << q;
    std::string upper = q;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(gguf::file_type_name(*ft), upper);
  }
  EXPECT_EQ(gguf::file_type_name(5), "unknown (5)");
}
