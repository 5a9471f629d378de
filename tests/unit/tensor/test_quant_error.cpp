// Quantize -> dequantize on Gaussian data: the RMS error relative to sigma stays under a bound
// that fits each format's bits per weight (coarser formats get looser bounds).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "tensor/type_traits.h"

using namespace airlock;

namespace {

struct Case {
  TensorType type;
  double max_rel_rmse;
};

// Bounds: 1.1-1.5x what the reference algorithms achieve on N(0,1) data (e.g. Q4_0 ~0.09 at
// 4.5 bits/weight, Q2_K ~0.30 at 2.6 bits/weight), so a wrong rounding or scale search fails.
const Case kCases[] = {
    {TensorType::F16, 0.0005},  {TensorType::BF16, 0.004},  {TensorType::Q8_0, 0.01},
    {TensorType::Q8_1, 0.01},   {TensorType::Q8_K, 0.01},   {TensorType::Q6_K, 0.02},
    {TensorType::Q5_0, 0.05},   {TensorType::Q5_1, 0.05},   {TensorType::Q5_K, 0.04},
    {TensorType::Q4_0, 0.1},   {TensorType::Q4_1, 0.1},    {TensorType::Q4_K, 0.08},
    {TensorType::IQ4_NL, 0.1},  {TensorType::IQ4_XS, 0.1},  {TensorType::Q3_K, 0.2},
    {TensorType::Q2_K, 0.35},
};

}  // namespace

TEST(QuantError, GaussianRoundTrip) {
  constexpr int64_t n = 256 * 256;
  std::mt19937 rng(1234);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::vector<float> x(n);
  for (auto& v : x) v = gauss(rng);
  for (const Case& c : kCases) {
    const auto& tr = type_traits(c.type);
    std::vector<uint8_t> q(*row_bytes(c.type, n));
    std::vector<float> y(n);
    tr.from_float(x.data(), q.data(), n);
    tr.to_float(q.data(), y.data(), n);
    double err2 = 0, var = 0;
    for (int64_t i = 0; i < n; ++i) {
      err2 += (double(x[i]) - y[i]) * (double(x[i]) - y[i]);
      var += double(x[i]) * x[i];
    }
    const double rel = std::sqrt(err2 / var);
    std::printf("%-7s rmse/sigma = %.4f (bound %.4f)\n", tr.name, rel, c.max_rel_rmse);
    EXPECT_LT(rel, c.max_rel_rmse) << tr.name;
    // And a scale-free check: the same data scaled by 1000 gives the same relative error.
    std::vector<float> xs(x);
    for (auto& v : xs) v *= 1000.0f;
    tr.from_float(xs.data(), q.data(), n);
    tr.to_float(q.data(), y.data(), n);
    double err2s = 0;
    for (int64_t i = 0; i < n; ++i) err2s += (double(xs[i]) - y[i]) * (double(xs[i]) - y[i]);
    EXPECT_NEAR(std::sqrt(err2s / (var * 1e6)), rel, 0.02 * rel + 1e-4) << tr.name;
  }
}

// Every format keeps the sign and rough magnitude of a single outlier in a block of small values.
TEST(QuantError, OutlierSurvives) {
  for (const Case& c : kCases) {
    const auto& tr = type_traits(c.type);
    std::vector<float> x(256, 0.01f), y(256);
    x[37] = -5.0f;
    std::vector<uint8_t> q(*row_bytes(c.type, 256));
    tr.from_float(x.data(), q.data(), 256);
    tr.to_float(q.data(), y.data(), 256);
    EXPECT_NEAR(y[37], -5.0f, 0.05f) << tr.name;
  }
}
