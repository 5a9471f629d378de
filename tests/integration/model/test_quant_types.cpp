// Files in every quantisation people download load and compute: a small random-weight model is
// written in F16 by synth and converted by the reference quantizer (llama-quantize from
// ../shared/anchors, with an importance matrix of ones for the types that demand one). The same
// quantizer then expands that file back to F32 with its own dequantisers. Our forward pass on the
// quantized file must give the logits of our F32 pass on the expanded one, up to the rounding of
// the 8-bit activations; a wrong layout, grid or kernel gives unrelated logits. A few greedy steps
// follow, so the file also generates.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "model/context.h"
#include "model/model.h"
#include "model/synth.h"
#include "support/anchors.h"
#include "support/temp_dir.h"

namespace airlock {
namespace {

struct Case {
  const char* ftype;  // llama-quantize's name for the file type
  TensorType type;    // a type the file must contain
};
// Names the case in test listings (else gtest prints its raw bytes).
void PrintTo(const Case& c, std::ostream* os) { *os << c.ftype; }

// The reference quantizer makes these in well under a second each on this model.
const Case kQuick[] = {
    {"IQ3_S", TensorType::IQ3_S},   {"TQ1_0", TensorType::TQ1_0},   {"TQ2_0", TensorType::TQ2_0},
    {"Q2_K", TensorType::Q2_K},     {"Q3_K_M", TensorType::Q3_K},   {"IQ4_XS", TensorType::IQ4_XS},
    {"IQ4_NL", TensorType::IQ4_NL}, {"Q4_1", TensorType::Q4_1},     {"Q5_1", TensorType::Q5_1},
    {"BF16", TensorType::BF16},
};
// For these it first builds search tables for the IQ1/IQ2 grids: 10-45 s per type on a shared
// 2-core machine, too slow for every CI run. Set AIRLOCK_TEST_SLOW_QUANTIZER=1 to run them.
// (IQ2_M is the file type whose tensors are IQ2_S.)
const Case kSlow[] = {
    {"IQ1_S", TensorType::IQ1_S},     {"IQ1_M", TensorType::IQ1_M}, {"IQ2_XXS", TensorType::IQ2_XXS},
    {"IQ2_XS", TensorType::IQ2_XS},   {"IQ2_M", TensorType::IQ2_S}, {"IQ3_XXS", TensorType::IQ3_XXS},
};

using test_support::TempDir;

// An importance matrix of ones in the reference's (legacy binary) format: per weight matrix its
// name, a call count and one value per input column.
void write_unit_imatrix(const gguf::File& f, const std::filesystem::path& path) {
  std::vector<const gguf::TensorInfo*> mats;
  for (const auto& t : f.tensors())
    if (t.n_dims >= 2 && t.name.ends_with(".weight")) mats.push_back(&t);
  std::ofstream out(path, std::ios::binary);
  auto put_i32 = [&](int32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
  put_i32(static_cast<int32_t>(mats.size()));
  for (const auto* t : mats) {
    put_i32(static_cast<int32_t>(t->name.size()));
    out.write(t->name.data(), static_cast<std::streamsize>(t->name.size()));
    put_i32(1);
    put_i32(static_cast<int32_t>(t->ne[0]));
    const std::vector<float> ones(static_cast<size_t>(t->ne[0]), 1.0f);
    out.write(reinterpret_cast<const char*>(ones.data()), static_cast<std::streamsize>(4 * ones.size()));
  }
}

// Greedy generation of `steps` tokens after a fixed prompt; the logits of each step, one row each.
std::vector<float> run(const std::filesystem::path& file, int steps) {
  auto m = model::Model::load(file);
  const auto V = static_cast<size_t>(m->hparams().n_vocab);
  model::Context ctx(*m, {.n_ctx = 64, .n_seq = 1, .n_batch = 64}, nullptr);
  const std::vector<int32_t> prompt = {1, 5, 9, 14, 3, 7, 2, 11};
  model::Batch b;
  for (size_t i = 0; i < prompt.size(); ++i) b.push_back({prompt[i], static_cast<int64_t>(i), 0, i + 1 == prompt.size()});
  std::vector<float> all;
  for (int s = 0; s < steps; ++s) {
    const auto out = ctx.forward(b);
    all.insert(all.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(V));
    size_t best = 0;
    for (size_t v = 1; v < V; ++v)
      if (out[v] > out[best]) best = v;
    b = {{static_cast<int32_t>(best), static_cast<int64_t>(prompt.size()) + s, 0, true}};
  }
  return all;
}

double cosine(const float* a, const float* b, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) {
    ab += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

// One F16 model and its importance matrix for all cases.
class QuantTypes : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    synth::Options opt;
    opt.preset = "demo";
    opt.embd = 256;  // rows of whole 256-element super-blocks
    opt.ff = 512;
    synth::write_model(synth::plan_model(opt), 7, f16(), 2);
    write_unit_imatrix(*gguf::File::open(f16()), dir_->path() / "ones.imatrix");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::filesystem::path f16() { return dir_->path() / "f16.gguf"; }

  // Runs the reference quantizer; false (with its log in the failure) when it fails.
  static void quantize(const std::filesystem::path& in, const std::filesystem::path& out, const std::string& ftype) {
    const auto log = dir_->path() / "quantize.log";
    const std::string cmd = "LD_LIBRARY_PATH='" + anchors::llama_cpp().string() + "' '" +
                            (anchors::llama_cpp() / "llama-quantize").string() + "' --allow-requantize --imatrix '" +
                            (dir_->path() / "ones.imatrix").string() + "' '" + in.string() + "' '" + out.string() +
                            "' " + ftype + " 1 > '" + log.string() + "' 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      std::ifstream l(log);
      const std::string text((std::istreambuf_iterator<char>(l)), std::istreambuf_iterator<char>());
      FAIL() << cmd << "\n" << text.substr(text.size() > 2000 ? text.size() - 2000 : 0);
    }
  }

  static TempDir* dir_;
};

TempDir* QuantTypes::dir_ = nullptr;

TEST_P(QuantTypes, LoadsAndMatchesTheReferenceExpansion) {
  const Case& c = GetParam();
  if (!std::filesystem::exists(anchors::llama_cpp() / "llama-quantize") || !anchors::cpu_can_run())
    GTEST_SKIP() << "!!! REFERENCE QUANTIZER UNAVAILABLE: " << anchors::llama_cpp()
                 << "/llama-quantize missing or not runnable on this CPU; set AIRLOCK_ANCHORS. " << c.ftype
                 << " was NOT tested. !!!";
  const bool slow = std::find_if(std::begin(kSlow), std::end(kSlow), [&](const Case& s) { return s.ftype == c.ftype; }) !=
                    std::end(kSlow);
  const char* env = std::getenv("AIRLOCK_TEST_SLOW_QUANTIZER");
  if (slow && !(env && std::string(env) == "1"))
    GTEST_SKIP() << "!!! " << c.ftype << ": the reference quantizer takes 10-45 s for it; set "
                 << "AIRLOCK_TEST_SLOW_QUANTIZER=1 to run. Its kernels are checked by the unit tests. !!!";
  const auto file = dir_->path() / (std::string(c.ftype) + ".gguf");
  const auto expanded = dir_->path() / (std::string(c.ftype) + "-f32.gguf");
  ASSERT_NO_FATAL_FAILURE(quantize(f16(), file, c.ftype));
  ASSERT_NO_FATAL_FAILURE(quantize(file, expanded, "F32"));
  bool has_type = false;
  for (const auto& t : gguf::File::open(file)->tensors()) has_type |= t.type == c.type;
  ASSERT_TRUE(has_type) << "the quantizer wrote no " << type_name(c.type) << " tensor";

  constexpr int kSteps = 4;
  const auto ours = run(file, kSteps);
  for (float v : ours) ASSERT_TRUE(std::isfinite(v));
  const auto ref = run(expanded, 1);
  const double cos = cosine(ours.data(), ref.data(), ref.size());
  std::printf("%-8s cosine to the reference-expanded F32 file: %.6f\n", c.ftype, cos);
  EXPECT_GT(cos, 0.995);
  // Control: the file is not simply the F16 model (the comparison above would then prove nothing
  // about the type's decoding).
  const double to_f16 = cosine(ours.data(), run(f16(), 1).data(), ref.size());
  if (c.type != TensorType::BF16) {
    EXPECT_LT(to_f16, cos);
  }
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) { return info.param.ftype; }

INSTANTIATE_TEST_SUITE_P(Quick, QuantTypes, ::testing::ValuesIn(kQuick), case_name);
INSTANTIATE_TEST_SUITE_P(Slow, QuantTypes, ::testing::ValuesIn(kSlow), case_name);

}  // namespace
}  // namespace airlock
