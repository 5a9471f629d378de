// matmul() against a plain reference: dequantized weights times the original float activations
// in double precision. The kernels see activations rounded to Q8_0/Q8_K, so the tolerance is what
// 8-bit activations allow; F32/F16 weights keep float activations and must match closely.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <random>
#include <vector>

#include "airlock/error.h"
#include "gguf/gguf.h"
#include "random_blocks.h"
#include "support/fixtures.h"
#include "tensor/cpu_path.h"
#include "tensor/matmul.h"
#include "tensor/thread_pool.h"
#include "tensor/type_traits.h"

using namespace airlock;

namespace {

struct PathGuard {
  explicit PathGuard(CpuPath p) { force_cpu_path(p); }
  ~PathGuard() { force_cpu_path(std::nullopt); }
};

void check_matmul(TensorType type, int64_t rows, int64_t cols, int64_t n_tokens, ThreadPool* pool, std::mt19937& rng) {
  const auto& tr = type_traits(type);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> wf(static_cast<size_t>(rows * cols)), x(static_cast<size_t>(n_tokens * cols));
  for (auto& v : wf) v = g(rng);
  for (auto& v : x) v = g(rng);
  const size_t stride = *row_bytes(type, cols) + 64;  // padded rows: stride must be honoured
  std::vector<uint8_t> wq(stride * static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    if (tr.from_float) {
      tr.from_float(wf.data() + r * cols, wq.data() + r * stride, cols);
    } else {  // a type airlock only reads: random blocks
      const auto blocks = test::random_blocks(type, cols, rng);
      std::copy(blocks.begin(), blocks.end(), wq.begin() + static_cast<std::ptrdiff_t>(r * stride));
    }
    tr.to_float(wq.data() + r * stride, wf.data() + r * cols, cols);  // the weights as stored
  }
  std::vector<float> y(static_cast<size_t>(n_tokens * rows), NAN);
  matmul(WeightView{type, wq.data(), rows, cols, stride}, x.data(), n_tokens, y.data(), pool);

  const bool float_acts = tr.vec_dot_type == TensorType::F32;
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t r = 0; r < rows; ++r) {
      double ref = 0, w2 = 0, x2 = 0;
      for (int64_t k = 0; k < cols; ++k) {
        const double wv = wf[r * cols + k], xv = x[t * cols + k];
        ref += wv * xv;
        w2 += wv * wv;
        x2 += xv * xv;
      }
      // 8-bit activations carry ~0.5-0.7% relative rms error per element; their effect on a dot
      // product is about that fraction of |w||x|/sqrt(cols). Allow ~6x.
      const double tol = (float_acts ? 1e-5 : 0.04) * std::sqrt(w2 * x2 / double(cols)) + 1e-6;
      ASSERT_NEAR(y[t * rows + r], ref, tol) << tr.name << " row " << r << " token " << t;
    }
  }
}

std::vector<TensorType> types_with_kernels() {
  std::vector<TensorType> out;
  for (uint32_t id = 0; id < 64; ++id)
    if (const TypeTraits* t = find_type_traits(id); t && t->vec_dot[0]) out.push_back(t->type);
  return out;
}

}  // namespace

TEST(Matmul, EveryTypeEveryPathMatchesReference) {
  std::mt19937 rng(3);
  ThreadPool pool(3);
  for (int p = 0; p <= static_cast<int>(detected_cpu_path()); ++p) {
    PathGuard guard(static_cast<CpuPath>(p));
    for (TensorType t : types_with_kernels()) {
      SCOPED_TRACE(cpu_path_name(static_cast<CpuPath>(p)));
      check_matmul(t, 37, 512, 1, &pool, rng);  // 37 rows: not a multiple of the row tile
      check_matmul(t, 21, 256, 5, nullptr, rng);
    }
  }
}

TEST(Matmul, ManyTokensWithPool) {
  std::mt19937 rng(5);
  ThreadPool pool(2);
  for (TensorType t : {TensorType::Q4_0, TensorType::Q4_K, TensorType::Q6_K, TensorType::F16})
    check_matmul(t, 64, 768, 33, &pool, rng);
}

TEST(Matmul, RejectsBadShapes) {
  std::vector<uint8_t> data(4096);
  std::vector<float> x(1024), y(64);
  EXPECT_THROW(matmul(WeightView{TensorType::Q4_0, data.data(), 2, 40, 64}, x.data(), 1, y.data(), nullptr), Error);
  EXPECT_THROW(matmul(WeightView{TensorType::Q4_K, data.data(), 2, 256, 100}, x.data(), 1, y.data(), nullptr), Error);
  // A type with no dot-product kernel (integer tensors are never matmul weights).
  EXPECT_THROW(matmul(WeightView{TensorType::I8, data.data(), 1, 256, 256}, x.data(), 1, y.data(), nullptr), Error);
  try {
    matmul(WeightView{TensorType::Q8_0, data.data(), 2, 33, 64}, x.data(), 1, y.data(), nullptr);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("q8_0"), std::string::npos) << e.what();
  }
}

// Real weights: every matrix of the quantized fixture models (as llama.cpp wrote them), against
// their dequantized values times random activations in double precision.
TEST(Matmul, FixtureWeights) {
  AIRLOCK_REQUIRE_FIXTURES();
  std::mt19937 rng(13);
  std::normal_distribution<float> g(0.0f, 1.0f);
  ThreadPool pool(2);
  int checked = 0;
  for (const char* model : {"llama-spm-q4_k_m.gguf", "llama-spm-q2_k.gguf", "llama-spm-q4_0.gguf",
                            "llama-spm-q5_k_m.gguf", "qwen2-gpt2-q8_0.gguf", "bert-bge-f16.gguf"}) {
    const auto file = gguf::File::open(fixtures::dir() / "models" / model);
    for (const auto& t : file->tensors()) {
      if (t.n_dims != 2 || t.name.find("token_embd") != std::string::npos) continue;
      SCOPED_TRACE(std::string(model) + ": " + t.name);
      const auto& tr = type_traits(t.type);
      const int64_t rows = std::min<int64_t>(t.ne[1], 64), cols = t.ne[0];
      const size_t stride = *row_bytes(t.type, cols);
      const int64_t n_tokens = 3;
      std::vector<float> x(static_cast<size_t>(n_tokens * cols)), y(static_cast<size_t>(n_tokens * rows));
      for (auto& v : x) v = g(rng);
      matmul(WeightView{t.type, t.data, rows, cols, stride}, x.data(), n_tokens, y.data(), &pool);
      std::vector<float> wr(static_cast<size_t>(cols));
      for (int64_t r = 0; r < rows; ++r) {
        tr.to_float(t.data + static_cast<size_t>(r) * stride, wr.data(), cols);
        for (int64_t tok = 0; tok < n_tokens; ++tok) {
          double ref = 0, w2 = 0, x2 = 0;
          for (int64_t k = 0; k < cols; ++k) {
            ref += double(wr[k]) * x[tok * cols + k];
            w2 += double(wr[k]) * wr[k];
            x2 += double(x[tok * cols + k]) * x[tok * cols + k];
          }
          const double scale = std::sqrt(w2 * x2 / double(cols));
          const double tol = (tr.vec_dot_type == TensorType::F32 ? 1e-5 : 0.04) * scale + 1e-6;
          ASSERT_NEAR(y[tok * rows + r], ref, tol) << "row " << r << " token " << tok;
        }
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 30);
}
