// synth's files read back with the GGUF reader: metadata and tensor directory as planned, weight
// statistics as drawn, determinism, and quantised types close to the values drawn.
#include <gtest/gtest.h>

#include <airlock/error.h>

#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <numbers>

#include "gguf/gguf.h"
#include "model/embed.h"
#include "model/model.h"
#include "model/synth.h"
#include "tokenizer/tokenizer.h"

using namespace airlock;
using namespace airlock::synth;

namespace {

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("airlock-test-synth-" + std::to_string(::getpid()) + "-" + name + ".gguf");
}

// Removes the file when the test ends, pass or fail.
struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& name) : path(temp_path(name)) {}
  ~TempFile() { std::filesystem::remove(path); }
};

Options small(const std::string& preset, const std::string& type) {
  Options o;
  o.preset = preset;
  o.type = type;
  o.seed = 7;
  if (preset != "demo") {
    o.layers = 1;
    o.embd = find_preset(preset).n_head * 16;  // heads of 16
    o.ff = 512;
    o.vocab = 2048;
  }
  return o;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<float> as_floats(const gguf::TensorInfo& t) {
  std::vector<float> v(static_cast<size_t>(t.n_elements()));
  const auto to_float = type_traits(t.type).to_float;
  if (!to_float) throw std::runtime_error(std::string("no dequantiser for ") + type_name(t.type));
  to_float(t.data, v.data(), t.n_elements());
  return v;
}

void expect_normal(const std::vector<float>& v, double stddev, double rel_tol, const std::string& what) {
  double sum = 0, sq = 0;
  for (float x : v) {
    sum += x;
    sq += static_cast<double>(x) * x;
  }
  const double n = static_cast<double>(v.size());
  const double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
  EXPECT_LT(std::abs(mean), 5 * stddev / std::sqrt(n)) << what;
  EXPECT_NEAR(sd, stddev, stddev * rel_tol) << what;
}

}  // namespace

TEST(SynthWrite, EveryPresetReadsBackAsPlanned) {
  for (const auto& preset : presets()) {
    SCOPED_TRACE(preset.name);
    TempFile f(preset.name);
    const ModelPlan plan = plan_model(small(preset.name, "F32"));
    write_model(plan, 7, f.path);
    auto file = gguf::File::open(f.path);
    EXPECT_EQ(file->architecture(), preset.arch);
    EXPECT_EQ(file->metadata().size(), plan.metadata.size());
    EXPECT_EQ(file->get_int(preset.arch + ".block_count"), plan.preset.n_layer);
    const bool encoder = preset.arch == "bert";
    if (!encoder) {
      EXPECT_EQ(file->get_int(preset.arch + ".attention.head_count_kv"), preset.n_head_kv);
    }
    EXPECT_EQ(file->get_float(preset.arch + (encoder ? ".attention.layer_norm_epsilon" : ".attention.layer_norm_rms_epsilon")),
              static_cast<double>(preset.rms_eps));
    EXPECT_EQ(file->find("tokenizer.ggml.tokens")->as_array().size(),
              static_cast<size_t>(plan.preset.n_vocab));
    ASSERT_EQ(file->tensors().size(), plan.tensors.size());
    for (const auto& t : plan.tensors) {
      const auto* info = file->tensor(t.name);
      ASSERT_TRUE(info) << t.name;
      EXPECT_EQ(info->ne, t.ne) << t.name;
      EXPECT_EQ(info->type, t.type) << t.name;
      EXPECT_EQ(info->n_dims, t.n_dims) << t.name;
    }
    const auto* q = file->tensor("blk.0.attn_q.weight");
    expect_normal(as_floats(*q), 1.0 / std::sqrt(static_cast<double>(q->ne[0])), 0.02, "attn_q");
    for (float x : as_floats(*file->tensor(encoder ? "blk.0.layer_output_norm.weight" : "output_norm.weight")))
      ASSERT_EQ(x, 1.0f);
  }
}

TEST(SynthWrite, BgeSmallLoadsAsAnEncoderAndEmbeds) {
  TempFile f("bge");
  Options o = small("bge-small", "F16");
  o.vocab = 0;  // the full WordPiece vocabulary, so real words tokenize
  write_model(plan_model(o), 7, f.path);
  auto model = model::Model::load(f.path);
  EXPECT_FALSE(model->hparams().arch->causal);
  EXPECT_EQ(model->hparams().pooling, model::Pooling::Cls);
  auto tok = tokenizer::Tokenizer::from_gguf(model->file());
  const auto ids = tok->encode("the pump must be primed before start", true, false);
  ASSERT_GE(ids.size(), 10u);  // [CLS] pieces [SEP]
  EXPECT_EQ(ids.front(), 101);
  EXPECT_EQ(ids.back(), 102);
  model::Context ctx(*model, {.n_ctx = 512, .n_seq = 1, .n_batch = 512}, nullptr);
  const auto v = model::embed_tokens(ctx, ids, true);
  ASSERT_EQ(v.size(), 192u);
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  EXPECT_NEAR(norm, 1.0, 1e-4);
}

TEST(SynthWrite, Llama3RopeFactors) {
  Options o = small("llama-3.2-1b", "F32");
  o.embd = 0;  // the real head size, 64: 32 frequencies
  const ModelPlan plan = plan_model(o);
  const TensorPlan& t = plan.tensors.at(1);
  ASSERT_EQ(t.name, "rope_freqs.weight");
  ASSERT_EQ(t.ne[0], 32);
  std::vector<float> factors(32);
  generate_rows(plan, t, 7, 0, 1, factors.data());
  // Independent recomputation of Llama 3's rule: wavelengths under 8192/4 keep their frequency,
  // those over 8192/1 are slowed 32x, those between are interpolated.
  for (int i = 0; i < 32; ++i) {
    const double wavelen = 2 * std::numbers::pi * std::pow(500000.0, 2.0 * i / 64);
    double want = 1;
    if (wavelen > 8192) {
      want = 32;
    } else if (wavelen >= 2048) {
      const double smooth = (8192 / wavelen - 1) / 3;
      want = 1 / ((1 - smooth) / 32 + smooth);
    }
    EXPECT_NEAR(factors[i], want, want * 1e-5) << i;
  }
  EXPECT_EQ(factors.front(), 1.0f);
  EXPECT_EQ(factors.back(), 32.0f);
}

TEST(SynthWrite, SameSeedSameBytesWhateverTheThreads) {
  TempFile a("seed-a"), b("seed-b"), c("seed-c");
  // Quantised, so that the conversion's split between threads is covered too.
  write_model(plan_model(small("qwen2.5-0.5b", "Q4_K_M")), 7, a.path, 1);
  write_model(plan_model(small("qwen2.5-0.5b", "Q4_K_M")), 7, b.path, 3);
  write_model(plan_model(small("qwen2.5-0.5b", "Q4_K_M")), 8, c.path, 2);
  const std::string sa = slurp(a.path);
  EXPECT_EQ(sa, slurp(b.path));
  const std::string sc = slurp(c.path);
  ASSERT_EQ(sa.size(), sc.size());
  EXPECT_NE(sa, sc);
}

TEST(SynthWrite, RowsDoNotDependOnChunking) {
  const ModelPlan plan = plan_model(small("llama-3.2-1b", "F32"));
  const TensorPlan& t = plan.tensors.front();
  std::vector<float> all(static_cast<size_t>(t.ne[0] * 10)), part(static_cast<size_t>(t.ne[0] * 3));
  generate_rows(plan, t, 1, 0, 10, all.data());
  generate_rows(plan, t, 1, 4, 3, part.data());
  EXPECT_TRUE(std::equal(part.begin(), part.end(), all.begin() + 4 * t.ne[0]));
}

TEST(SynthWrite, UnwritablePathIsAClearError) {
  const ModelPlan plan = plan_model(small("demo", "F32"));
  const auto dir = temp_path("no-such-dir");
  EXPECT_THROW(write_model(plan, 7, dir / "model.gguf"), Error);
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(SynthWrite, QuantisedTypesDequantiseToTheDrawnValues) {
  // Bounds on the relative RMS error of the dequantised weights, from the formats' resolution
  // for Gaussian data: 16-bit floats ~3e-4, 8-bit blocks ~4e-3, 6-bit ~2e-2, 4/5-bit mixes ~1e-1.
  const std::vector<std::pair<std::string, double>> types = {
      {"F16", 1e-3}, {"Q8_0", 1e-2}, {"Q6_K", 4e-2}, {"Q5_K_M", 6e-2}, {"Q4_K_M", 0.12}, {"Q4_0", 0.15}};
  for (const auto& [type, max_rel_rmse] : types) {
    SCOPED_TRACE(type);
    Options o = small("llama-3.2-1b", type);
    o.vocab = 512;
    const ModelPlan plan = plan_model(o);
    TempFile f("quant-" + type);
    write_model(plan, 7, f.path);
    auto file = gguf::File::open(f.path);
    for (const auto& t : plan.tensors) {
      if (t.init != Init::Normal || t.n_dims < 2) continue;
      const auto* info = file->tensor(t.name);
      ASSERT_EQ(info->type, t.type) << t.name;
      const auto got = as_floats(*info);
      std::vector<float> drawn(got.size());
      generate_rows(plan, t, 7, 0, t.n_elements() / t.ne[0], drawn.data());
      double err = 0, ref = 0;
      for (size_t i = 0; i < got.size(); ++i) {
        err += (got[i] - drawn[i]) * static_cast<double>(got[i] - drawn[i]);
        ref += static_cast<double>(drawn[i]) * drawn[i];
      }
      EXPECT_LT(std::sqrt(err / ref), max_rel_rmse) << t.name;
      EXPECT_GT(std::sqrt(err / ref), 0.0) << t.name << " is not quantised at all";
      // And the spread is still the drawn one (quantisation noise adds little variance).
      expect_normal(got, t.stddev, 0.03, t.name);
    }
  }
}
