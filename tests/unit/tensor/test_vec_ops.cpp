// The attention inner-loop vector operations: the AVX-512 exp against std::exp over the whole
// float range that matters (and -inf, NaN), and every tail length against the scalar loop.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "tensor/cpu_path.h"
#include "tensor/vec_ops.h"

using namespace airlock;

namespace {

#define REQUIRE_AVX512()                                                                            \
  do {                                                                                              \
    if (detected_cpu_path() != CpuPath::Avx512) GTEST_SKIP() << "!!! no AVX-512: vec_ops_avx512 NOT tested !!!"; \
  } while (0)

}  // namespace

TEST(VecOps, Avx512ExpMatchesStdExp) {
  REQUIRE_AVX512();
  std::vector<float> x;
  for (float v = -110.0f; v <= 88.0f; v += 0.00731f) x.push_back(v);
  for (float v : {0.0f, -0.0f, 1e-8f, -1e-8f, 88.7f, 89.0f, -87.3f, -103.9f}) x.push_back(v);
  std::vector<float> got = x;
  const float sum = kernels::exp_shifted_sum_avx512(static_cast<int64_t>(got.size()), got.data(), 0.0f);
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = std::exp(static_cast<double>(x[i]));
    if (want > 1e-37 && want < 3e38) {
      ASSERT_NEAR(got[i] / want, 1.0, 2.5e-7) << "exp(" << x[i] << ")";
    } else if (want <= 1e-37) {
      ASSERT_LE(got[i], 2e-37) << "exp(" << x[i] << ")";
    } else {
      ASSERT_TRUE(std::isinf(got[i]) || got[i] > 3e38) << "exp(" << x[i] << ")";
    }
  }
  EXPECT_TRUE(std::isinf(sum));  // exp(89) alone overflows a float
}

TEST(VecOps, Avx512ExpEdgesAndShift) {
  REQUIRE_AVX512();
  std::vector<float> x = {-std::numeric_limits<float>::infinity(), 2.0f, std::numeric_limits<float>::quiet_NaN()};
  kernels::exp_shifted_sum_avx512(3, x.data(), 2.0f);
  EXPECT_EQ(x[0], 0.0f);
  EXPECT_FLOAT_EQ(x[1], 1.0f);  // exp(2 - 2)
  EXPECT_TRUE(std::isnan(x[2]));
}

TEST(VecOps, EveryTailLengthMatchesScalar) {
  REQUIRE_AVX512();
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-20.0f, 0.0f);
  for (int64_t n = 0; n <= 40; ++n) {
    std::vector<float> a(static_cast<size_t>(n) + 1), b;
    for (auto& v : a) v = u(rng);
    const float sentinel = a[static_cast<size_t>(n)];
    b = a;
    const float sa = kernels::exp_shifted_sum_avx512(n, a.data(), -1.5f);
    const float sb = kernels::exp_shifted_sum_scalar(n, b.data(), -1.5f);
    EXPECT_NEAR(sa, sb, 1e-6f * std::max(1.0f, sb)) << n;
    for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(a[i], b[i], 3e-7f * b[i]) << n << " " << i;
    EXPECT_EQ(a[static_cast<size_t>(n)], sentinel) << "wrote past n = " << n;
  }
}

// The gated feed-forward's y *= silu(g), every path against the formula in double precision: over
// the range activations take, the extremes where exp(-g) overflows or vanishes, and every tail
// length, with the entry after the last left untouched.
TEST(VecOps, SiluMulMatchesFormula) {
  std::vector<float> g;
  for (float v = -30.0f; v <= 30.0f; v += 0.0137f) g.push_back(v);
  for (float v : {0.0f, -0.0f, 1e-8f, -1e-8f, -87.0f, -89.0f, -200.0f, 89.0f, 1e30f, -1e30f}) g.push_back(v);
  std::vector<CpuPath> paths = {CpuPath::Scalar};
  if (detected_cpu_path() == CpuPath::Avx512) paths.push_back(CpuPath::Avx512);
  for (CpuPath path : paths) {
    const SiluMulFn silu_mul = silu_mul_kernel(path);
    std::vector<float> y(g.size(), 1.5f);
    silu_mul(static_cast<int64_t>(g.size()), g.data(), y.data());
    for (size_t i = 0; i < g.size(); ++i) {
      const double want = 1.5 * g[i] / (1.0 + std::exp(-static_cast<double>(g[i])));
      ASSERT_NEAR(y[i], want, 1e-6 * std::abs(want) + 1e-30) << cpu_path_name(path) << " g = " << g[i];
    }
    for (int64_t n = 0; n <= 40; ++n) {
      std::vector<float> yt(static_cast<size_t>(n) + 1, 2.0f);
      silu_mul(n, g.data() + 100, yt.data());
      for (int64_t i = 0; i < n; ++i)
        EXPECT_NEAR(yt[static_cast<size_t>(i)], 2.0 * g[static_cast<size_t>(100 + i)] / (1.0 + std::exp(-double(g[static_cast<size_t>(100 + i)]))), 1e-6);
      EXPECT_EQ(yt[static_cast<size_t>(n)], 2.0f) << cpu_path_name(path) << " wrote past n = " << n;
    }
  }
}
