// The per-row operations against their textbook definitions, computed independently in double.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <vector>

#include "model/ops.h"

namespace airlock::model {
namespace {

std::vector<float> pattern(size_t n, float phase) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = std::sin(phase + 0.7f * static_cast<float>(i)) * (1.0f + 0.1f * static_cast<float>(i));
  return v;
}

TEST(ModelOps, RmsNormMatchesDefinition) {
  const auto x = pattern(10, 0.3f);
  const auto w = pattern(10, 1.1f);
  std::vector<float> out(10);
  rms_norm(x.data(), w.data(), out.data(), 10, 1e-6f);
  double ms = 0;
  for (float v : x) ms += static_cast<double>(v) * v;
  ms /= 10;
  for (size_t i = 0; i < 10; ++i) EXPECT_NEAR(out[i], x[i] / std::sqrt(ms + 1e-6) * w[i], 1e-5);
}

TEST(ModelOps, LayerNormMatchesDefinition) {
  const auto x = pattern(16, 0.9f);
  const auto w = pattern(16, 2.0f);
  const auto b = pattern(16, 3.0f);
  std::vector<float> out(16);
  layer_norm(x.data(), w.data(), b.data(), out.data(), 16, 1e-5f);
  double mean = 0, var = 0;
  for (float v : x) mean += v;
  mean /= 16;
  for (float v : x) var += (v - mean) * (v - mean);
  var /= 16;
  for (size_t i = 0; i < 16; ++i)
    EXPECT_NEAR(out[i], (x[i] - mean) / std::sqrt(var + 1e-5) * w[i] + b[i], 1e-5);
}

// Rope as complex rotation: pair p of a head (its two members depending on the style) is
// multiplied by exp(i * pos * base^(-2p/n_rot)); dimensions beyond n_rot are untouched.
void check_rope(RopeStyle style) {
  const int64_t heads = 3, head_dim = 8, n_rot = 6, pos = 17;
  const float base = 10000.0f;
  auto x = pattern(heads * head_dim, 0.2f);
  const auto orig = x;
  std::vector<float> cs(n_rot);
  rope_angles(pos, n_rot, base, 1.0f, nullptr, cs.data());
  rope_apply(x.data(), heads, head_dim, n_rot, cs.data(), style);
  for (int64_t h = 0; h < heads; ++h) {
    const float* o = orig.data() + h * head_dim;
    const float* r = x.data() + h * head_dim;
    for (int64_t p = 0; p < n_rot / 2; ++p) {
      const int64_t a = style == RopeStyle::Normal ? 2 * p : p;
      const int64_t b = style == RopeStyle::Normal ? 2 * p + 1 : p + n_rot / 2;
      const double theta = pos * std::pow(10000.0, -2.0 * p / n_rot);
      const std::complex<double> z = std::complex<double>(o[a], o[b]) * std::polar(1.0, theta);
      EXPECT_NEAR(r[a], z.real(), 1e-5);
      EXPECT_NEAR(r[b], z.imag(), 1e-5);
    }
    for (int64_t d = n_rot; d < head_dim; ++d) EXPECT_EQ(r[d], o[d]);
  }
}

TEST(ModelOps, RopeNormalRotatesAdjacentPairs) { check_rope(RopeStyle::Normal); }
TEST(ModelOps, RopeNeoXRotatesHalves) { check_rope(RopeStyle::NeoX); }

TEST(ModelOps, RopeScalingAndFrequencyFactors) {
  // Linear scale s at position p equals no scaling at p / s; a frequency factor f divides theta.
  std::vector<float> a(4), b(4), c(4);
  rope_angles(12, 4, 500.0f, 4.0f, nullptr, a.data());
  rope_angles(3, 4, 500.0f, 1.0f, nullptr, b.data());
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(a[i], b[i], 1e-6);
  const float factors[2] = {1.0f, 8.0f};
  rope_angles(40, 4, 500.0f, 1.0f, factors, c.data());
  EXPECT_NEAR(c[2], std::cos(40.0 / 8.0 * std::pow(500.0, -0.5)), 1e-6);
  EXPECT_NEAR(c[3], std::sin(40.0 / 8.0 * std::pow(500.0, -0.5)), 1e-6);
}

TEST(ModelOps, Activations) {
  // GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); close to the erf form.
  for (float x : {-2.0f, -0.5f, 0.0f, 0.7f, 3.0f}) {
    EXPECT_NEAR(gelu(x), 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))), 1e-6);
    EXPECT_NEAR(gelu(x), 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))), 2e-3);
  }
}

}  // namespace
}  // namespace airlock::model
