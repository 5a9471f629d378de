#include <gtest/gtest.h>

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
