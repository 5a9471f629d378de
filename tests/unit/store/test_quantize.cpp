#include <airlock/error.h>
#include <gtest/gtest.h>

#include <cmath>

#include "gguf/gguf.h"
#include "gguf/writer.h"
#include "store/quantize.h"
#include "store/store.h"
#include "store_testing.h"
#include "support/fixtures.h"

using namespace airlock;
using namespace airlock::store;
using namespace airlock::store_testing;

// Q8_0 stores each block of 32 as int8 times one scale amax/127, so every value comes back within
// half a step (plus the scale's f16 rounding) of the original.
TEST(Quantize, Q8_0FromF32StaysWithinHalfAStep) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir d;
  auto src_path = fixtures::dir() / "models/stories260K.gguf";
  quantize_gguf(src_path, d / "q8.gguf", "q8_0");
  auto src = gguf::File::open(src_path);
  auto q = gguf::File::open(d / "q8.gguf");
  EXPECT_EQ(q->get_int("general.file_type"), 7);  // llama.cpp's LLAMA_FTYPE_MOSTLY_Q8_0
  EXPECT_EQ(q->architecture(), "llama");
  ASSERT_EQ(q->tensors().size(), src->tensors().size());
  int quantized = 0;
  for (const auto& t : src->tensors()) {
    const auto* o = q->tensor(t.name);
    ASSERT_TRUE(o) << t.name;
    if (t.n_dims == 1) {  // norms stay as they are
      EXPECT_EQ(o->type, TensorType::F32) << t.name;
      continue;
    }
    if (t.ne[0] % 32 != 0) {  // rows that do not split into blocks of 32: F16, as llama.cpp's fallback
      EXPECT_EQ(o->type, TensorType::F16) << t.name;
      continue;
    }
    ASSERT_EQ(o->type, TensorType::Q8_0) << t.name;
    ++quantized;
    std::vector<float> back(static_cast<size_t>(t.n_elements()));
    type_traits(TensorType::Q8_0).to_float(o->data, back.data(), t.n_elements());
    const float* orig = reinterpret_cast<const float*>(t.data);
    for (int64_t b = 0; b < t.n_elements(); b += 32) {
      float amax = 0;
      for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(orig[b + i]));
      for (int i = 0; i < 32; ++i)
        ASSERT_NEAR(back[static_cast<size_t>(b + i)], orig[b + i], amax / 127 * 0.5f + amax * 2e-3f) << t.name;
    }
  }
  EXPECT_GT(quantized, 5);
}

TEST(Quantize, CreateQuantizeQ4_K_MFromF16Model) {
  AIRLOCK_REQUIRE_FIXTURES();
  TempDir d;
  Store s(d / "store");
  auto mf = Modelfile::parse("FROM " + (fixtures::dir() / "models/bert-bge-f16.gguf").string() + "\n", "mf");
  s.create("bge:q4_k_m", mf, d.path(), {}, "Q4_K_M");
  auto r = s.resolve("bge:q4_k_m");
  EXPECT_EQ(r.details.quantization_level, "Q4_K_M");
  auto q = gguf::File::open(r.model_path);
  int q4 = 0, q6 = 0;
  for (const auto& t : q->tensors()) {
    if (t.n_dims == 1) {
      EXPECT_FALSE(type_traits(t.type).quantized) << t.name;
    }
    q4 += t.type == TensorType::Q4_K;
    q6 += t.type == TensorType::Q6_K;
  }
  EXPECT_GT(q4, 0);
  EXPECT_EQ(q6, 3);  // the (tied) token embedding, attn_v and ffn_down of the last layer
  EXPECT_TRUE(s.verify(std::nullopt).ok());
  EXPECT_TRUE(s.gc(true).temp_files.empty());

  // Already quantised sources and unknown types are refused.
  EXPECT_THROW(s.create("x", Modelfile::parse("FROM bge:q4_k_m\n", "mf"), d.path(), {}, "Q8_0"), Error);
  EXPECT_THROW(s.create("x", mf, d.path(), {}, "Q9_9"), Error);
  EXPECT_EQ(s.list().size(), 1u);
}

// A 2-D integer tensor named like a weight has no float values: the quantizer says so instead of
// converting through a missing to_float (which crashed), and writes nothing.
TEST(Quantize, IntegerWeightIsRefusedByName) {
  TempDir d;
  std::vector<float> emb(64 * 4, 0.5f);
  std::vector<int32_t> ids(64 * 2, 7);
  gguf::write_file(d / "ints.gguf", {{"general.architecture", gguf::Value::of_string("llama")}},
                   {{"token_embd.weight", TensorType::F32, {64, 4},
                     {reinterpret_cast<const uint8_t*>(emb.data()), emb.size() * sizeof(float)}, {}},
                    {"blk.0.ids.weight", TensorType::I32, {64, 2},
                     {reinterpret_cast<const uint8_t*>(ids.data()), ids.size() * sizeof(int32_t)}, {}}});
  try {
    quantize_gguf(d / "ints.gguf", d / "q.gguf", "Q8_0");
    FAIL() << "an i32 weight was quantized";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor blk.0.ids.weight is i32, which cannot be converted to q8_0"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(d / "q.gguf"));
}
