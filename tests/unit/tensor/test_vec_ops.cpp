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
