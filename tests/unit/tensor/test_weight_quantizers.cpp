// The SIMD weight quantizers (from_float_simd of the K-quants and IQ4 types) must write exactly the blocks of
// the scalar ones, which reproduce the reference quantizer; test_quantize_reference checks the
// path this CPU takes against llama-quantize, this checks every path against the scalar code on
// blocks built to reach each branch of the scale searches.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "tensor/cpu_path.h"
#include "tensor/type_traits.h"

using namespace airlock;

namespace {

// Super-blocks whose sub-blocks (of 16) mix the cases the searches treat apart: Gaussian values at
// very different scales, all zero, constant (max == min), all positive (the min clamps to 0), all
// negative, one outlier, small integers (rounding ties), and values below the all-zero threshold.
std::vector<float> tricky_superblocks(int n_blocks, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::uniform_int_distribution<int> kind(0, 8), small(-4, 4);
  std::vector<float> x(static_cast<size_t>(n_blocks) * 256);
  for (size_t s = 0; s < x.size(); s += 16) {
    const int k = kind(rng);
    const float scale = std::pow(10.0f, static_cast<float>(static_cast<int>(rng() % 9) - 6));
    for (size_t i = s; i < s + 16; ++i) {
      switch (k) {
        case 0: x[i] = 0.0f; break;
        case 1: x[i] = 0.25f * scale; break;
        case 2: x[i] = std::fabs(g(rng)) * scale + scale; break;
        case 3: x[i] = -std::fabs(g(rng)) * scale; break;
        case 4: x[i] = i == s + 5 ? 40.0f * scale : g(rng) * scale * 0.01f; break;
        case 5: x[i] = static_cast<float>(small(rng)); break;
        case 6: x[i] = g(rng) * 1e-17f; break;
        default: x[i] = g(rng) * scale; break;
      }
    }
  }
  return x;
}

TEST(WeightQuantizers, SimdMatchesScalarBytes) {
  int compared = 0;
  for (TensorType t : {TensorType::Q2_K, TensorType::Q3_K, TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K, TensorType::IQ4_NL,
                       TensorType::IQ4_XS}) {
    const TypeTraits& tr = type_traits(t);
    for (int p = 1; p <= static_cast<int>(detected_cpu_path()); ++p) {
      const FromFloatFn fast = tr.from_float_simd[static_cast<size_t>(p)];
      if (!fast) continue;
      for (uint32_t seed : {1u, 2u, 3u}) {
        const int n_blocks = 512;
        const std::vector<float> x = tricky_superblocks(n_blocks, seed);
        // IQ4_NL's SIMD search takes eight 32-blocks at a time: leave a tail of three for the scalar one.
        const int64_t n = static_cast<int64_t>(x.size()) - (t == TensorType::IQ4_NL ? 5 * 32 : 0);
        const int n_out = static_cast<int>(n / tr.block_size);
        std::vector<uint8_t> want(*row_bytes(t, n)), got(want.size(), 0xcd);
        tr.from_float(x.data(), want.data(), n);
        fast(x.data(), got.data(), n);
        for (int b = 0; b < n_out; ++b) {
          const size_t at = static_cast<size_t>(b) * tr.type_size;
          ASSERT_TRUE(std::equal(want.begin() + at, want.begin() + at + tr.type_size, got.begin() + at))
              << tr.name << " path " << cpu_path_name(static_cast<CpuPath>(p)) << " seed " << seed << " block " << b;
        }
        ++compared;
      }
    }
  }
  if (detected_cpu_path() == CpuPath::Scalar) GTEST_SKIP() << "no SIMD path on this CPU";
  EXPECT_EQ(compared, 21);
}

}  // namespace

// Hostile importance matrices (all zero, zero for some columns, huge) and weights with NaN or
// infinity must not make a weighted quantizer read or write outside its blocks (ASan checks this in
// CI), and a row's bytes must not depend on how the rows are split between calls (threads).
TEST(WeightQuantizers, WeightedQuantizersSurviveDegenerateInputAndIgnoreTheSplit) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.f, 2.f);
  // Two super-blocks: one per half in the split check (the sanitizer build runs this slowly).
  std::vector<float> x = tricky_superblocks(2, 9);
  x[5] = std::nanf("");
  x[300] = std::numeric_limits<float>::infinity();
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<std::vector<float>> importances(4, std::vector<float>(static_cast<size_t>(n)));
  for (int64_t i = 0; i < n; ++i) {
    importances[1][i] = i % 3 ? 0.f : u(rng);
    importances[2][i] = u(rng) * 1e30f;
    importances[3][i] = u(rng);
  }
  int checked = 0;
  for (uint32_t raw = 0; raw < 64; ++raw) {
    const TypeTraits* tr = find_type_traits(raw);
    if (!tr || !from_float_weighted(tr->type)) continue;
    const FromFloatWeightedFn weighted = from_float_weighted(tr->type);
    const size_t bytes = *row_bytes(tr->type, n);
    for (const auto& qw : importances) {
      std::vector<uint8_t> whole(bytes), halves(bytes);
      weighted(x.data(), whole.data(), n, qw.data());
      // The same values as two rows of half the length (each with its own importances).
      const int64_t half = n / 2;
      const size_t half_bytes = *row_bytes(tr->type, half);
      weighted(x.data(), halves.data(), half, qw.data());
      weighted(x.data() + half, halves.data() + half_bytes, half, qw.data() + half);
      std::vector<float> back(static_cast<size_t>(n));
      tr->to_float(whole.data(), back.data(), n);
      // Only the row-wide sigma2 of the 32-element types (Q4_0 .. Q5_1) depends on the row length.
      if (tr->block_size == 256) {
        EXPECT_TRUE(whole == halves) << tr->name;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 18 * 4);  // Q4_0-Q5_1, Q2_K-Q6_K, IQ4_NL/XS, IQ3_XXS/S, IQ2_XXS/XS/S, IQ1_S/M
}
