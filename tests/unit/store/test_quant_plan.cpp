// The shared quantisation rules (tensor/quant_plan.h) against files llama.cpp's own quantizer
// wrote, and `create --quantize` against them on an F16 fixture and a synthetic F32 model.
#include <airlock/error.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <string>

#include "gguf/gguf.h"
#include "model/synth.h"
#include "store/quantize.h"
#include "store_testing.h"
#include "support/fixtures.h"
#include "tensor/quant_plan.h"

using namespace airlock;
using namespace airlock::store_testing;

namespace {

const FileType& file_type_of(const gguf::File& f) {
  auto id = f.get_int("general.file_type");
  for (const auto& ft : file_types())
    if (id && ft.ftype_id == *id) return ft;
  throw Error("fixture has an unexpected general.file_type");
}

// Relative RMS error of the dequantised tensor against the source values.
double relative_rms_error(const gguf::TensorInfo& src, const gguf::TensorInfo& q) {
  const auto n = static_cast<size_t>(src.n_elements());
  std::vector<float> a(n), b(n);
  type_traits(src.type).to_float(src.data, a.data(), src.n_elements());
  type_traits(q.type).to_float(q.data, b.data(), q.n_elements());
  double err = 0, ref = 0;
  for (size_t i = 0; i < n; ++i) {
    err += (a[i] - b[i]) * double(a[i] - b[i]);
    ref += a[i] * double(a[i]);
  }
  return std::sqrt(err / ref);
}

// Rough bounds for Gaussian weights: 4-bit K-quants lose ~5-8%, 6-bit ~2%, Q8_0 well under 1%.
double error_bound(TensorType t) {
  switch (t) {
    case TensorType::Q4_K: return 0.12;
    case TensorType::Q6_K: return 0.04;
    case TensorType::Q8_0: return 0.01;
    default: return 0;
  }
}

// Quantises `src` with create's code path and checks every tensor's type against `expected`
// (tensor name -> type; unlisted tensors keep the source type) and the values against the source.
void check_quantized(const std::filesystem::path& src_path, const std::string& file_type,
                     const std::map<std::string, TensorType>& expected) {
  TempDir d;
  store::quantize_gguf(src_path, d / "q.gguf", file_type);
  auto src = gguf::File::open(src_path);
  auto q = gguf::File::open(d / "q.gguf");
  EXPECT_EQ(q->get_int("general.file_type"), find_file_type(file_type).ftype_id);
  ASSERT_EQ(q->tensors().size(), src->tensors().size());
  size_t listed = 0;
  for (const auto& t : src->tensors()) {
    const auto* o = q->tensor(t.name);
    ASSERT_TRUE(o) << t.name;
    auto it = expected.find(t.name);
    TensorType want = it == expected.end() ? t.type : it->second;
    listed += it != expected.end();
    EXPECT_EQ(std::string(type_name(o->type)), type_name(want)) << t.name;
    if (o->type == t.type) {
      EXPECT_EQ(0, std::memcmp(o->data, t.data, t.nbytes)) << t.name << " should be copied unchanged";
    } else if (error_bound(o->type) > 0) {
      EXPECT_LT(relative_rms_error(t, *o), error_bound(o->type)) << t.name << " " << type_name(o->type);
    }
  }
  EXPECT_EQ(listed, expected.size()) << "a tensor the test expects is missing from the source";
}

}  // namespace

// llama.cpp's quantizer wrote these fixtures from F32/F16 weights; our rules must give every one
// of their tensors the type it got there.
TEST(QuantPlan, MatchesLlamaCppQuantizedFixtures) {
  AIRLOCK_REQUIRE_FIXTURES();
  for (const char* name : {"llama-spm-q4_k_m.gguf", "llama-spm-q5_k_m.gguf", "llama-spm-q2_k.gguf",
                           "llama-spm-q4_0.gguf", "llama-spm-q8_0.gguf", "qwen2-gpt2-q4_k_m.gguf",
                           "qwen2-gpt2-q8_0.gguf"}) {
    auto f = gguf::File::open(fixtures::dir() / "models" / name);
    const FileType& ft = file_type_of(*f);
    std::vector<TensorShape> shapes;
    for (const auto& t : f->tensors())
      // Tensors llama.cpp did not quantise kept their source type, which is what they hold now.
      shapes.push_back({t.name, t.ne, t.n_dims, type_traits(t.type).quantized ? TensorType::F32 : t.type});
    auto heads = f->get_int(f->architecture() + ".attention.head_count");
    auto kv = f->get_int(f->architecture() + ".attention.head_count_kv");
    ASSERT_TRUE(heads && kv) << name;
    const auto types = plan_types(ft, shapes, *heads / *kv);
    int quantized = 0;
    for (size_t i = 0; i < shapes.size(); ++i) {
      EXPECT_EQ(std::string(type_name(types[i])), type_name(f->tensors()[i].type)) << name << " " << shapes[i].name;
      quantized += type_traits(types[i]).quantized;
    }
    EXPECT_GT(quantized, 10) << name;
  }
}

TEST(QuantPlan, UnknownFileTypeNamesTheKnownOnes) {
  try {
    find_file_type("Q9_9");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown file type 'Q9_9' (known: F32, F16"), std::string::npos) << e.what();
  }
  EXPECT_EQ(find_file_type("q4_k_m").name, "Q4_K_M");
}

// bge: 2 layers, 256-wide rows, no output matrix (so token_embd is treated as the output).
// llama.cpp's Q4_K_M: Q6_K for the output and for attn_v/ffn_down where use_more_bits(i, 2) holds
// (i >= 7*2/8, i.e. layer 1); BERT's position and token-type embeddings and all 1-D tensors stay.
TEST(QuantPlan, CreateQ4_K_MFromBgeF16) {
  AIRLOCK_REQUIRE_FIXTURES();
  std::map<std::string, TensorType> want = {{"token_embd.weight", TensorType::Q6_K}};
  for (int i = 0; i < 2; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    for (const char* m : {"attn_q.weight", "attn_k.weight", "attn_output.weight", "ffn_up.weight"})
      want[b + m] = TensorType::Q4_K;
    want[b + "attn_v.weight"] = i == 1 ? TensorType::Q6_K : TensorType::Q4_K;
    want[b + "ffn_down.weight"] = i == 1 ? TensorType::Q6_K : TensorType::Q4_K;
  }
  check_quantized(fixtures::dir() / "models/bert-bge-f16.gguf", "Q4_K_M", want);
}

// A synthetic F32 Llama 2 shape with 8 layers: use_more_bits(i, 8) picks layers 0, 3, 6 and 7
// (i < 1, i >= 7, (i - 1) % 3 == 2); the untied output gets Q6_K, token_embd the base Q4_K.
TEST(QuantPlan, CreateQ4_K_MFromSynthF32) {
  TempDir d;
  synth::Options o;
  o.preset = "llama-2-7b";
  o.type = "F32";
  o.seed = 3;
  o.layers = 8;
  o.embd = 256;
  o.ff = 256;
  o.vocab = 512;
  synth::write_model(synth::plan_model(o), o.seed, d / "f32.gguf", 1);
  std::map<std::string, TensorType> want = {{"token_embd.weight", TensorType::Q4_K},
                                            {"output.weight", TensorType::Q6_K}};
  for (int i = 0; i < 8; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    const bool more = i == 0 || i == 3 || i == 6 || i == 7;
    for (const char* m : {"attn_q.weight", "attn_k.weight", "attn_output.weight", "ffn_up.weight", "ffn_gate.weight"})
      want[b + m] = TensorType::Q4_K;
    want[b + "attn_v.weight"] = more ? TensorType::Q6_K : TensorType::Q4_K;
    want[b + "ffn_down.weight"] = more ? TensorType::Q6_K : TensorType::Q4_K;
  }
  check_quantized(d / "f32.gguf", "Q4_K_M", want);
}
