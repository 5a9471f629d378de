// The architectures without reference fixtures (qwen3, phi3, gemma2, gemma3, nomic-bert): tiny random-weight
// models written with the GGUF writer, run through model::Context, and compared with a plain
// loop-by-loop forward pass written here over the same float weights (norms, rope style, fused
// tensors, qk-norm, post-norms, soft-capping, sliding window, embedding scale).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "gguf/writer.h"
#include "model/context.h"
#include "model/model.h"

namespace airlock::model {
namespace {

struct Spec {
  std::string arch;
  int64_t E = 32, H = 4, Hkv = 2, dh = 8, n_rot = 8, F = 48, V = 40, L = 2;
  bool neox = true, qk_norm = false, fused = false, gemma = false, tied = false;
  bool encoder = false;  // nomic-bert: post layer norms, token types, bidirectional, hidden states out
  float attn_softcap = 0, final_softcap = 0, rope_base = 10000, rope_base_swa = 10000;
  float scale = 0;  // the query scale the reference applies; 0: 1/sqrt(dh)
  int64_t window = 0, swa_period = 0;  // swa_period 1: every layer windowed
};

using Mat = std::vector<float>;  // rows of `in` floats, one per output

struct Tiny {
  Spec s;
  std::map<std::string, Mat> w;
  std::map<std::string, std::vector<int64_t>> dims;

  void add(const std::string& name, std::vector<int64_t> d, Mat values) {
    dims[name] = d;
    w[name] = std::move(values);
  }
};

Mat random(std::mt19937& rng, size_t n, float mean, float sd) {
  std::normal_distribution<float> dist(mean, sd);
  Mat m(n);
  for (float& x : m) x = dist(rng);
  return m;
}

Tiny make(const Spec& s, const std::filesystem::path& path) {
  Tiny t{s, {}, {}};
  std::mt19937 rng(42);
  const int64_t Q = s.H * s.dh, K = s.Hkv * s.dh;
  auto mat = [&](const std::string& n, int64_t in, int64_t out) {
    t.add(n, {in, out}, random(rng, static_cast<size_t>(in * out), 0, 1.0f / std::sqrt(static_cast<float>(in))));
  };
  auto norm = [&](const std::string& n, int64_t len) { t.add(n, {len}, random(rng, static_cast<size_t>(len), 1.0f, 0.2f)); };
  t.add("token_embd.weight", {s.E, s.V}, random(rng, static_cast<size_t>(s.E * s.V), 0, 1.0f));
  if (s.encoder) {
    t.add("token_types.weight", {s.E, 2}, random(rng, static_cast<size_t>(2 * s.E), 0, 1.0f));
    norm("token_embd_norm.weight", s.E);
    t.add("token_embd_norm.bias", {s.E}, random(rng, static_cast<size_t>(s.E), 0, 0.2f));
  } else {
    norm("output_norm.weight", s.E);
  }
  if (!s.tied && !s.encoder) mat("output.weight", s.E, s.V);
  for (int64_t il = 0; il < s.L; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    if (s.encoder) {
      for (const char* n : {"attn_output_norm", "layer_output_norm"}) {
        norm(p + n + ".weight", s.E);
        t.add(p + n + ".bias", {s.E}, random(rng, static_cast<size_t>(s.E), 0, 0.2f));
      }
    } else {
      norm(p + "attn_norm.weight", s.E);
      norm(p + "ffn_norm.weight", s.E);
    }
    if (s.fused) {
      mat(p + "attn_qkv.weight", s.E, Q + 2 * K);
      if (s.encoder) {
        mat(p + "ffn_gate.weight", s.E, s.F);
        mat(p + "ffn_up.weight", s.E, s.F);
      } else {
        mat(p + "ffn_up.weight", s.E, 2 * s.F);
      }
    } else {
      mat(p + "attn_q.weight", s.E, Q);
      mat(p + "attn_k.weight", s.E, K);
      mat(p + "attn_v.weight", s.E, K);
      mat(p + "ffn_gate.weight", s.E, s.F);
      mat(p + "ffn_up.weight", s.E, s.F);
    }
    mat(p + "attn_output.weight", Q, s.E);
    mat(p + "ffn_down.weight", s.F, s.E);
    if (s.qk_norm) {
      norm(p + "attn_q_norm.weight", s.dh);
      norm(p + "attn_k_norm.weight", s.dh);
    }
    if (s.gemma) {
      norm(p + "post_attention_norm.weight", s.E);
      norm(p + "post_ffw_norm.weight", s.E);
    }
  }
  std::vector<gguf::KeyValue> md;
  const std::string a = s.arch;
  auto u32 = [](int64_t x) { return gguf::Value::of_u32(static_cast<uint32_t>(x)); };
  md.push_back({"general.architecture", gguf::Value::of_string(a)});
  md.push_back({a + ".vocab_size", u32(s.V)});
  md.push_back({a + ".context_length", u32(64)});
  md.push_back({a + ".embedding_length", u32(s.E)});
  md.push_back({a + ".block_count", u32(s.L)});
  md.push_back({a + ".feed_forward_length", u32(s.F)});
  md.push_back({a + ".attention.head_count", u32(s.H)});
  md.push_back({a + ".attention.head_count_kv", u32(s.Hkv)});
  md.push_back({a + ".attention.key_length", u32(s.dh)});
  md.push_back({a + ".attention.value_length", u32(s.dh)});
  md.push_back({a + ".rope.dimension_count", u32(s.n_rot)});
  md.push_back({a + ".rope.freq_base", gguf::Value::of_f32(s.rope_base)});
  md.push_back({a + (s.encoder ? ".attention.layer_norm_epsilon" : ".attention.layer_norm_rms_epsilon"),
                gguf::Value::of_f32(1e-6f)});
  if (s.attn_softcap > 0) md.push_back({a + ".attn_logit_softcapping", gguf::Value::of_f32(s.attn_softcap)});
  if (s.final_softcap > 0) md.push_back({a + ".final_logit_softcapping", gguf::Value::of_f32(s.final_softcap)});
  if (s.window > 0) md.push_back({a + ".attention.sliding_window", u32(s.window)});
  std::vector<gguf::TensorToWrite> tensors;
  for (const auto& [name, values] : t.w)
    tensors.push_back({name, TensorType::F32, t.dims[name],
                       {reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(float)}, {}});
  gguf::write_file(path, md, tensors);
  return t;
}

// ---- the plain forward pass ----

std::vector<float> matvec(const Mat& m, int64_t row0, int64_t rows, int64_t in, const std::vector<float>& x) {
  std::vector<float> y(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    double acc = 0;
    for (int64_t c = 0; c < in; ++c) acc += static_cast<double>(m[static_cast<size_t>((row0 + r) * in + c)]) * x[static_cast<size_t>(c)];
    y[static_cast<size_t>(r)] = static_cast<float>(acc);
  }
  return y;
}

void rms(float* x, const float* w, int64_t n) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const double inv = 1.0 / std::sqrt(ss / static_cast<double>(n) + 1e-6);
  for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(x[i] * inv * w[i]);
}

void rope(float* head, int64_t n_rot, bool neox, int64_t pos, float base) {
  for (int64_t i = 0; i < n_rot / 2; ++i) {
    const double theta = static_cast<double>(pos) * std::pow(static_cast<double>(base), -2.0 * static_cast<double>(i) / static_cast<double>(n_rot));
    const int64_t a = neox ? i : 2 * i, b = neox ? i + n_rot / 2 : 2 * i + 1;
    const double x0 = head[a], x1 = head[b];
    head[a] = static_cast<float>(x0 * std::cos(theta) - x1 * std::sin(theta));
    head[b] = static_cast<float>(x0 * std::sin(theta) + x1 * std::cos(theta));
  }
}

void layer_norm(float* x, const float* w, const float* b, int64_t n) {
  double mean = 0, var = 0;
  for (int64_t i = 0; i < n; ++i) mean += x[i];
  mean /= static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>((x[i] - mean) / std::sqrt(var + 1e-6) * w[i] + b[i]);
}

double gelu_tanh(double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); }

std::vector<std::vector<float>> reference(const Tiny& t, const std::vector<int32_t>& tokens) {
  const Spec& s = t.s;
  const int64_t Q = s.H * s.dh, K = s.Hkv * s.dh, n = static_cast<int64_t>(tokens.size());
  auto W = [&](const std::string& name) -> const Mat& { return t.w.at(name); };
  std::vector<std::vector<float>> x(static_cast<size_t>(n));
  for (int64_t p = 0; p < n; ++p) {
    const float* e = W("token_embd.weight").data() + tokens[static_cast<size_t>(p)] * s.E;
    x[static_cast<size_t>(p)].assign(e, e + s.E);
    if (s.gemma)
      for (float& v : x[static_cast<size_t>(p)]) v *= std::sqrt(static_cast<float>(s.E));
    if (s.encoder) {  // token type 0, then the embedding norm
      for (int64_t i = 0; i < s.E; ++i) x[static_cast<size_t>(p)][static_cast<size_t>(i)] += W("token_types.weight")[static_cast<size_t>(i)];
      layer_norm(x[static_cast<size_t>(p)].data(), W("token_embd_norm.weight").data(), W("token_embd_norm.bias").data(), s.E);
    }
  }
  for (int64_t il = 0; il < s.L; ++il) {
    const std::string pre = "blk." + std::to_string(il) + ".";
    const bool swa = s.window > 0 && (s.swa_period == 1 || (s.swa_period > 1 && il % s.swa_period < s.swa_period - 1));
    std::vector<std::vector<float>> q(static_cast<size_t>(n)), k(q.size()), v(q.size());
    for (int64_t p = 0; p < n; ++p) {
      auto h = x[static_cast<size_t>(p)];
      if (!s.encoder) rms(h.data(), W(pre + "attn_norm.weight").data(), s.E);
      if (s.fused) {
        q[static_cast<size_t>(p)] = matvec(W(pre + "attn_qkv.weight"), 0, Q, s.E, h);
        k[static_cast<size_t>(p)] = matvec(W(pre + "attn_qkv.weight"), Q, K, s.E, h);
        v[static_cast<size_t>(p)] = matvec(W(pre + "attn_qkv.weight"), Q + K, K, s.E, h);
      } else {
        q[static_cast<size_t>(p)] = matvec(W(pre + "attn_q.weight"), 0, Q, s.E, h);
        k[static_cast<size_t>(p)] = matvec(W(pre + "attn_k.weight"), 0, K, s.E, h);
        v[static_cast<size_t>(p)] = matvec(W(pre + "attn_v.weight"), 0, K, s.E, h);
      }
      const float base = swa ? s.rope_base_swa : s.rope_base;
      for (int64_t hd = 0; hd < s.H; ++hd) {
        float* qh = q[static_cast<size_t>(p)].data() + hd * s.dh;
        if (s.qk_norm) rms(qh, W(pre + "attn_q_norm.weight").data(), s.dh);
        rope(qh, s.n_rot, s.neox, p, base);
      }
      for (int64_t hd = 0; hd < s.Hkv; ++hd) {
        float* kh = k[static_cast<size_t>(p)].data() + hd * s.dh;
        if (s.qk_norm) rms(kh, W(pre + "attn_k_norm.weight").data(), s.dh);
        rope(kh, s.n_rot, s.neox, p, base);
      }
    }
    for (int64_t p = 0; p < n; ++p) {
      std::vector<float> att(static_cast<size_t>(Q));
      for (int64_t hd = 0; hd < s.H; ++hd) {
        const int64_t g = hd / (s.H / s.Hkv);
        const int64_t lo = swa ? std::max<int64_t>(0, p - s.window + 1) : 0;
        std::vector<double> sc;
        const int64_t hi = s.encoder ? n - 1 : p;
        for (int64_t j = lo; j <= hi; ++j) {
          double d = 0;
          for (int64_t i = 0; i < s.dh; ++i)
            d += static_cast<double>(q[static_cast<size_t>(p)][static_cast<size_t>(hd * s.dh + i)]) *
                 k[static_cast<size_t>(j)][static_cast<size_t>(g * s.dh + i)];
          d *= s.scale > 0 ? s.scale : 1 / std::sqrt(static_cast<double>(s.dh));
          if (s.attn_softcap > 0) d = s.attn_softcap * std::tanh(d / s.attn_softcap);
          sc.push_back(d);
        }
        double mx = -1e300, z = 0;
        for (double d : sc) mx = std::max(mx, d);
        for (double& d : sc) z += (d = std::exp(d - mx));
        for (int64_t j = lo; j <= hi; ++j)
          for (int64_t i = 0; i < s.dh; ++i)
            att[static_cast<size_t>(hd * s.dh + i)] += static_cast<float>(
                sc[static_cast<size_t>(j - lo)] / z * v[static_cast<size_t>(j)][static_cast<size_t>(g * s.dh + i)]);
      }
      auto o = matvec(W(pre + "attn_output.weight"), 0, s.E, Q, att);
      if (s.gemma) rms(o.data(), W(pre + "post_attention_norm.weight").data(), s.E);
      auto& xp = x[static_cast<size_t>(p)];
      for (int64_t i = 0; i < s.E; ++i) xp[static_cast<size_t>(i)] += o[static_cast<size_t>(i)];
      if (s.encoder) layer_norm(xp.data(), W(pre + "attn_output_norm.weight").data(), W(pre + "attn_output_norm.bias").data(), s.E);
    }
    for (int64_t p = 0; p < n; ++p) {
      auto& xp = x[static_cast<size_t>(p)];
      auto h = xp;
      if (!s.encoder) rms(h.data(), W(pre + "ffn_norm.weight").data(), s.E);
      const bool fused_up = s.fused && !s.encoder;
      const auto gate = fused_up ? matvec(W(pre + "ffn_up.weight"), 0, s.F, s.E, h) : matvec(W(pre + "ffn_gate.weight"), 0, s.F, s.E, h);
      const auto up = fused_up ? matvec(W(pre + "ffn_up.weight"), s.F, s.F, s.E, h) : matvec(W(pre + "ffn_up.weight"), 0, s.F, s.E, h);
      std::vector<float> a(static_cast<size_t>(s.F));
      for (size_t i = 0; i < a.size(); ++i) {
        const double gv = gate[i];
        a[i] = static_cast<float>((s.gemma ? gelu_tanh(gv) : gv / (1 + std::exp(-gv))) * up[i]);
      }
      auto d = matvec(W(pre + "ffn_down.weight"), 0, s.E, s.F, a);
      if (s.gemma) rms(d.data(), W(pre + "post_ffw_norm.weight").data(), s.E);
      for (int64_t i = 0; i < s.E; ++i) xp[static_cast<size_t>(i)] += d[static_cast<size_t>(i)];
      if (s.encoder) layer_norm(xp.data(), W(pre + "layer_output_norm.weight").data(), W(pre + "layer_output_norm.bias").data(), s.E);
    }
  }
  if (s.encoder) return x;
  std::vector<std::vector<float>> logits;
  for (auto& xp : x) {
    rms(xp.data(), W("output_norm.weight").data(), s.E);
    auto l = matvec(s.tied ? W("token_embd.weight") : W("output.weight"), 0, s.V, s.E, xp);
    if (s.final_softcap > 0)
      for (float& v : l) v = s.final_softcap * std::tanh(v / s.final_softcap);
    logits.push_back(l);
  }
  return logits;
}

const std::vector<int32_t> kTokens{1, 7, 33, 2, 19, 19, 5, 38, 11, 24};

struct Loaded {
  Tiny tiny;
  std::unique_ptr<Model> model;
};

Loaded load(const Spec& s) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("airlock-arch-" + s.arch + "-" + std::to_string(::getpid()) + ".gguf");
  Tiny t = make(s, path);
  auto m = Model::load(path);
  std::filesystem::remove(path);
  return {std::move(t), std::move(m)};
}

// Every position's output row for kTokens.
std::vector<float> run(const Model& m, TensorType kv = TensorType::F32) {
  Context ctx(m, {.n_ctx = 32, .n_seq = 1, .n_batch = 16, .kv_type = kv}, nullptr);
  Batch b;
  for (size_t i = 0; i < kTokens.size(); ++i) b.push_back({kTokens[i], static_cast<int64_t>(i), 0, true});
  const auto out = ctx.forward(b);
  return {out.begin(), out.end()};
}

void check(const Spec& s, std::initializer_list<TensorType> kv_types = {TensorType::F32, TensorType::F16}) {
  const Loaded l = load(s);
  const auto& tokens = kTokens;
  const auto expect = reference(l.tiny, tokens);
  for (TensorType kv : kv_types) {
    const auto out = run(*l.model, kv);
    const auto width = static_cast<size_t>(s.encoder ? s.E : s.V);
    ASSERT_EQ(out.size(), tokens.size() * width);
    const float tol = kv == TensorType::F32 ? 1e-4f : 1e-2f;
    for (size_t p = 0; p < tokens.size(); ++p)
      for (size_t i = 0; i < width; ++i)
        ASSERT_NEAR(out[p * width + i], expect[p][i], tol * (1 + std::abs(expect[p][i])))
            << s.arch << " kv " << type_name(kv) << " position " << p << " logit " << i;
  }
}

TEST(ArchForward, Qwen3) {
  Spec s{.arch = "qwen3", .dh = 16, .n_rot = 16, .qk_norm = true};
  check(s);
}

TEST(ArchForward, Phi3FusedTensorsPartialRope) {
  Spec s{.arch = "phi3", .n_rot = 4, .fused = true};
  check(s);
}

TEST(ArchForward, Gemma2) {
  Spec s{.arch = "gemma2", .gemma = true, .tied = true, .attn_softcap = 1.5f, .final_softcap = 2.0f, .window = 3,
         .swa_period = 2};
  check(s);
}

TEST(ArchForward, Gemma3) {
  Spec s{.arch = "gemma3", .L = 6, .qk_norm = true, .gemma = true, .tied = true, .rope_base = 1e6f,
         .rope_base_swa = 10000, .window = 3, .swa_period = 6};
  check(s);
}

// Gemma 2 27B and Gemma 3 27B (told apart by their layer count) scale queries by
// 1/sqrt(n_embd / n_head), here 1/sqrt(8), not by 1/sqrt(head size 16). F32 KV only: over 46 or
// 62 random layers F16 rounding of the cache grows past the tolerance.
TEST(ArchForward, Gemma2_27BLayoutScalesQueriesByEmbeddingPerHead) {
  Spec s{.arch = "gemma2", .dh = 16, .n_rot = 16, .L = 46, .gemma = true, .tied = true, .attn_softcap = 50,
         .final_softcap = 30, .scale = 1 / std::sqrt(8.0f), .window = 3, .swa_period = 2};
  EXPECT_FLOAT_EQ(load(s).model->hparams().attn_scale, 1 / std::sqrt(8.0f));
  check(s, {TensorType::F32});
}

TEST(ArchForward, Gemma3_27BLayoutScalesQueriesByEmbeddingPerHead) {
  Spec s{.arch = "gemma3", .dh = 16, .n_rot = 16, .L = 62, .qk_norm = true, .gemma = true, .tied = true,
         .rope_base = 1e6f, .scale = 1 / std::sqrt(8.0f), .window = 3, .swa_period = 6};
  EXPECT_FLOAT_EQ(load(s).model->hparams().attn_scale, 1 / std::sqrt(8.0f));
  check(s, {TensorType::F32});
}

// Any other layer count keeps 1/sqrt(head size) (Gemma 2 9B's n_embd / n_head is not its head size either).
TEST(ArchForward, Gemma2OtherSizesScaleQueriesByHeadSize) {
  Spec s{.arch = "gemma2", .dh = 16, .n_rot = 16, .L = 3, .gemma = true, .tied = true, .attn_softcap = 50,
         .final_softcap = 30, .window = 3, .swa_period = 2};
  EXPECT_FLOAT_EQ(load(s).model->hparams().attn_scale, 0.25f);
  check(s);
}

// Phi-3 windows every layer: matches the plain forward with the window, and differs from the
// same weights without a window only from position `window` on.
TEST(ArchForward, Phi3SlidingWindowOnEveryLayer) {
  Spec s{.arch = "phi3", .n_rot = 4, .fused = true, .window = 4, .swa_period = 1};
  check(s);
  const auto windowed = run(*load(s).model);
  s.window = 0;
  const auto unwindowed = run(*load(s).model);
  const auto V = static_cast<size_t>(s.V);
  for (size_t p = 0; p < kTokens.size(); ++p) {
    double diff = 0;
    for (size_t i = 0; i < V; ++i) diff = std::max<double>(diff, std::abs(windowed[p * V + i] - unwindowed[p * V + i]));
    if (p < 4)
      EXPECT_EQ(diff, 0) << "position " << p << " is inside the window";
    else
      EXPECT_GT(diff, 1e-3) << "position " << p << " is past the window";
  }
}

TEST(ArchForward, NomicBert) {
  Spec s{.arch = "nomic-bert", .Hkv = 4, .fused = true, .encoder = true};
  check(s);
}

}  // namespace
}  // namespace airlock::model
