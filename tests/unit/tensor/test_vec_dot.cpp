// Every SIMD path this CPU supports against the scalar reference kernels, for every weight type
// with a kernel, on random quantized data.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

#include "airlock/error.h"
#include "random_blocks.h"
#include "tensor/cpu_path.h"
#include "tensor/type_traits.h"

using namespace airlock;

namespace {

std::vector<TensorType> types_with_kernels() {
  std::vector<TensorType> out;
  for (uint32_t id = 0; id < 64; ++id)
    if (const TypeTraits* t = find_type_traits(id); t && t->vec_dot[0]) out.push_back(t->type);
  return out;
}

// Quantized Gaussian values, or random blocks for the types airlock only reads.
std::vector<uint8_t> random_row(TensorType t, int64_t n, std::mt19937& rng, float scale) {
  if (!type_traits(t).from_float) return test::random_blocks(t, n, rng);
  std::normal_distribution<float> g(0.0f, scale);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = g(rng);
  std::vector<uint8_t> q(*row_bytes(t, n));
  type_traits(t).from_float(x.data(), q.data(), n);
  return q;
}

}  // namespace

TEST(VecDot, EveryTypeHasItsActivationType) {
  const auto types = types_with_kernels();
  EXPECT_GE(types.size(), 25u);
  for (TensorType t : types) {
    const auto& tr = type_traits(t);
    const auto& at = type_traits(tr.vec_dot_type);
    EXPECT_TRUE(at.from_float) << tr.name;
    EXPECT_EQ(tr.block_size % at.block_size == 0 || at.block_size % tr.block_size == 0, true) << tr.name;
  }
}

TEST(VecDot, SimdPathsMatchScalar) {
  const int supported = static_cast<int>(detected_cpu_path());
  if (supported == 0) GTEST_SKIP() << "no SIMD path on this CPU";
  std::mt19937 rng(7);
  int compared = 0;
  for (TensorType t : types_with_kernels()) {
    const auto& tr = type_traits(t);
    const auto& at = type_traits(tr.vec_dot_type);
    // Several lengths: odd block counts exercise the kernels' tails.
    for (int64_t blocks : {1, 3, 8, 17}) {
      const int64_t n = blocks * std::max<int64_t>(tr.block_size, 256);
      const auto w = random_row(t, n, rng, 0.05f);
      const auto a = random_row(at.type, n, rng, 2.0f);
      // Scale of the terms: bound on any rounding-order difference.
      std::vector<float> wf(static_cast<size_t>(n)), af(static_cast<size_t>(n));
      tr.to_float(w.data(), wf.data(), n);
      at.to_float(a.data(), af.data(), n);
      double mag = 0;
      for (int64_t i = 0; i < n; ++i) mag += std::fabs(double(wf[i]) * af[i]);
      const float ref = tr.vec_dot[0](n, w.data(), a.data());
      for (int p = 1; p <= supported; ++p) {
        if (!tr.vec_dot[static_cast<size_t>(p)]) continue;
        const float got = tr.vec_dot[static_cast<size_t>(p)](n, w.data(), a.data());
        EXPECT_NEAR(got, ref, 1e-5 * mag + 1e-6) << tr.name << " " << cpu_path_name(static_cast<CpuPath>(p)) << " n=" << n;
        ++compared;
      }
    }
  }
  EXPECT_GE(compared, 5 * 4);
}

// Multi-token kernels give each token what the scalar kernel gives it alone.
TEST(VecDot, MultiTokenKernelsMatchScalar) {
  std::mt19937 rng(9);
  int compared = 0;
  for (TensorType t : types_with_kernels()) {
    const auto& tr = type_traits(t);
    const auto& at = type_traits(tr.vec_dot_type);
    for (int p = 1; p <= static_cast<int>(detected_cpu_path()); ++p) {
      const auto multi = tr.vec_dot_multi[static_cast<size_t>(p)];
      if (!multi) continue;
      for (int64_t blocks : {1, 5, 8}) {
        const int64_t n = blocks * std::max<int64_t>(tr.block_size, 256);
        const auto w = random_row(t, n, rng, 0.05f);
        const size_t stride = *row_bytes(at.type, n);
        std::vector<uint8_t> acts;
        for (int k = 0; k < kernels::kMaxMultiDot; ++k) {
          const auto a = random_row(at.type, n, rng, 1.0f + k);
          acts.insert(acts.end(), a.begin(), a.end());
        }
        for (int count = 1; count <= kernels::kMaxMultiDot; ++count) {
          float out[kernels::kMaxMultiDot];
          multi(n, w.data(), acts.data(), stride, count, out);
          for (int k = 0; k < count; ++k) {
            const float ref = tr.vec_dot[0](n, w.data(), acts.data() + k * stride);
            EXPECT_NEAR(out[k], ref, 1e-5 * (std::fabs(ref) + 1) * std::sqrt(double(n))) << tr.name << " count " << count;
          }
          ++compared;
        }
      }
    }
  }
  if (detected_cpu_path() == CpuPath::Avx512) {
    EXPECT_GE(compared, 4 * 3 * kernels::kMaxMultiDot);
  }
}

// The scalar kernels agree with dequantize-then-multiply in double (they only reorder exact
// integer sums and apply the same scales). Q8_1 activations carry their block sum as a half
// (s = d * sum(q)), whose rounding enters the offset term of Q4_1/Q5_1: a looser bound there.
TEST(VecDot, ScalarMatchesDequantizedProduct) {
  std::mt19937 rng(11);
  for (TensorType t : types_with_kernels()) {
    const auto& tr = type_traits(t);
    const auto& at = type_traits(tr.vec_dot_type);
    const int64_t n = 64 * 256;  // many blocks: random blocks reach every grid entry and scale
    const auto w = random_row(t, n, rng, 1.0f);
    const auto a = random_row(at.type, n, rng, 1.0f);
    std::vector<float> wf(n), af(n);
    tr.to_float(w.data(), wf.data(), n);
    at.to_float(a.data(), af.data(), n);
    double ref = 0, mag = 0;
    for (int64_t i = 0; i < n; ++i) {
      ref += double(wf[i]) * af[i];
      mag += std::fabs(double(wf[i]) * af[i]);
    }
    const double rel = tr.vec_dot_type == TensorType::Q8_1 ? 2e-4 : 1e-5;
    EXPECT_NEAR(tr.vec_dot[0](n, w.data(), a.data()), ref, rel * mag) << tr.name;
  }
}

TEST(CpuPath, ParseAndForce) {
  EXPECT_EQ(parse_cpu_path("avx2"), CpuPath::Avx2);
  EXPECT_EQ(parse_cpu_path("scalar"), CpuPath::Scalar);
  EXPECT_FALSE(parse_cpu_path("sse9"));
  force_cpu_path(CpuPath::Scalar);
  EXPECT_EQ(active_cpu_path(), CpuPath::Scalar);
  force_cpu_path(std::nullopt);
  if (detected_cpu_path() != CpuPath::Avx512) {
    EXPECT_THROW(force_cpu_path(CpuPath::Avx512), Error);
  }
}

// Run by ctest with AIRLOCK_CPU set (see CMakeLists.txt): the variable picks the path, and an
// unknown or unsupported value is a clear error rather than a crash.
TEST(CpuPath, FollowsEnvironment) {
  const char* env = std::getenv("AIRLOCK_CPU");
  if (!env) GTEST_SKIP() << "AIRLOCK_CPU not set";
  const auto p = parse_cpu_path(env);
  if (!p || static_cast<int>(*p) > static_cast<int>(detected_cpu_path())) {
    EXPECT_THROW(active_cpu_path(), Error);
    return;
  }
  EXPECT_EQ(active_cpu_path(), *p);
}

// SIMD activation quantizers write exactly the reference blocks, ties included.
TEST(ActivationQuantizers, SimdMatchesReferenceBytes) {
  std::mt19937 rng(21);
  std::normal_distribution<float> g(0.0f, 3.0f);
  for (TensorType t : {TensorType::Q8_0, TensorType::Q8_1, TensorType::Q8_K}) {
    const auto& tr = type_traits(t);
    for (int p = 1; p <= static_cast<int>(detected_cpu_path()); ++p) {
      const FromFloatFn fast = tr.from_float_simd[static_cast<size_t>(p)];
      if (!fast) continue;
      const int64_t n = 256 * 16;
      std::vector<float> x(n);
      for (auto& v : x) v = g(rng);
      // Block 0: scale exactly 1 (amax 127), with halfway cases for both rounding rules.
      const float ties[] = {127.0f, 2.5f, -3.5f, 0.5f, -0.5f, 1.5f, -126.5f, 0.49999997f};
      for (int k = 0; k < 8; ++k) x[k] = ties[k];
      for (int k = 8; k < 256; ++k) x[k] = static_cast<float>(k % 7) - 3.0f;
      // Block 1 (and the second Q8_0 block): all zeros; another block: +amax and -amax both present.
      for (int k = 256; k < 512; ++k) x[k] = 0.0f;
      x[600] = 9.0f;
      x[610] = -9.0f;
      std::vector<uint8_t> ref(*row_bytes(t, n)), got(ref.size(), 0xcd);
      tr.from_float(x.data(), ref.data(), n);
      fast(x.data(), got.data(), n);
      EXPECT_EQ(ref, got) << tr.name;
    }
  }
}
