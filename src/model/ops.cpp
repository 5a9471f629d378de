#include "model/ops.h"

#include <algorithm>
#include <cmath>

namespace airlock::model {

void rms_norm(const float* x, const float* w, float* out, int64_t n, float eps) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float inv = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * inv * (w ? w[i] : 1.0f);
}

void layer_norm(const float* x, const float* w, const float* b, float* out, int64_t n, float eps) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  const double mean = sum / static_cast<double>(n);
  double var = 0;
  for (int64_t i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
  const double inv = 1.0 / std::sqrt(var / static_cast<double>(n) + eps);
  for (int64_t i = 0; i < n; ++i) {
    const float y = static_cast<float>((x[i] - mean) * inv);
    out[i] = y * (w ? w[i] : 1.0f) + (b ? b[i] : 0.0f);
  }
}

void rope_angles(int64_t pos, int64_t n_rot, float base, float scale, const float* freq_factors,
                 float* cos_sin) {
  const double p = static_cast<double>(pos) / scale;
  for (int64_t i = 0; i < n_rot / 2; ++i) {
    double theta = p * std::pow(static_cast<double>(base), -2.0 * static_cast<double>(i) / static_cast<double>(n_rot));
    if (freq_factors) theta /= freq_factors[i];
    cos_sin[2 * i] = static_cast<float>(std::cos(theta));
    cos_sin[2 * i + 1] = static_cast<float>(std::sin(theta));
  }
}

void rope_apply(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, const float* cos_sin,
                RopeStyle style) {
  if (style == RopeStyle::None) return;
  const int64_t half = n_rot / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    for (int64_t i = 0; i < half; ++i) {
      // Normal rotates neighbours, NeoX rotates dimension i with i + n_rot/2.
      const int64_t a = style == RopeStyle::Normal ? 2 * i : i;
      const int64_t b = style == RopeStyle::Normal ? 2 * i + 1 : i + half;
      const float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
      const float x0 = v[a], x1 = v[b];
      v[a] = x0 * c - x1 * s;
      v[b] = x0 * s + x1 * c;
    }
  }
}

float gelu(float x) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
}

}  // namespace airlock::model
