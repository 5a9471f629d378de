// Real weights quantized by llama.cpp: every tensor dequantizes to finite values, and quantizing
// the dequantized values again reproduces llama.cpp's bytes exactly for the types whose reference
// quantizer is idempotent, and stays within a tight error for the others.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "support/fixtures.h"
#include "tensor/type_traits.h"

using namespace airlock;

namespace {

const char* const kModels[] = {"llama-spm-q8_0.gguf", "llama-spm-q4_0.gguf", "llama-spm-q4_k_m.gguf",
                               "llama-spm-q5_k_m.gguf", "llama-spm-q2_k.gguf", "qwen2-gpt2-q8_0.gguf",
                               "qwen2-gpt2-q4_k_m.gguf"};

// Types where dequantize -> quantize must give back the very same bytes: their scale is a plain
// function of the block's extreme value, which dequantization preserves.
bool requantizes_exactly(TensorType t) { return t == TensorType::Q8_0 || t == TensorType::Q4_0; }

// The K-quants search scales, and on already-quantized input the search can land on another,
// equally good scale; most blocks still come back identical. Floors well under what the reference
// algorithm gives, far above what a wrong packing or search would.
double min_identical_fraction(TensorType t) {
  switch (t) {
    case TensorType::Q2_K: case TensorType::Q4_K: return 0.95;
    case TensorType::Q5_K: return 0.85;
    case TensorType::Q6_K: return 0.7;
    default: return 0.4;
  }
}

// Bound on the relative RMS change of the weights when requantized; the 2- and 3-bit types have
// coarse grids, so a different scale choice moves values further.
double max_requant_change(TensorType t) {
  return t == TensorType::Q2_K || t == TensorType::Q3_K ? 0.05 : 0.01;
}

// Requantizing every block of the larger tensors would take too long for a unit test.
constexpr int64_t kMaxRequantBlocks = 256;

struct Stats {
  int64_t blocks = 0, identical = 0;
};

}  // namespace

class QuantFixtures : public testing::TestWithParam<const char*> {};

TEST_P(QuantFixtures, DequantizeFiniteAndRequantize) {
  AIRLOCK_REQUIRE_FIXTURES();
  std::map<TensorType, Stats> stats;
  const char* model = GetParam();
  auto file = gguf::File::open(fixtures::dir() / "models" / model);
  for (const auto& t : file->tensors()) {
    SCOPED_TRACE(std::string(model) + ": " + t.name);
    const TypeTraits& tr = type_traits(t.type);
    ASSERT_TRUE(tr.to_float) << tr.name;
    const int64_t n = t.n_elements();
    std::vector<float> x(static_cast<size_t>(n));
    tr.to_float(t.data, x.data(), n);
    for (float v : x) ASSERT_TRUE(std::isfinite(v));
    if (!tr.quantized) continue;

    const int64_t nb = std::min(n / tr.block_size, kMaxRequantBlocks);
    const int64_t m = nb * tr.block_size;
    const size_t bytes = static_cast<size_t>(nb) * tr.type_size;
    std::vector<uint8_t> again(bytes);
    tr.from_float(x.data(), again.data(), m);
    std::vector<float> y(static_cast<size_t>(m));
    tr.to_float(again.data(), y.data(), m);
    double err2 = 0, ref2 = 0;
    for (int64_t i = 0; i < m; ++i) {
      err2 += (double(x[i]) - y[i]) * (double(x[i]) - y[i]);
      ref2 += double(x[i]) * x[i];
    }
    auto& s = stats[t.type];
    for (int64_t b = 0; b < nb; ++b) {
      ++s.blocks;
      s.identical += std::memcmp(t.data + b * tr.type_size, again.data() + b * tr.type_size, tr.type_size) == 0;
    }
    if (requantizes_exactly(t.type))
      EXPECT_EQ(std::memcmp(t.data, again.data(), bytes), 0) << tr.name;
    else
      EXPECT_LT(std::sqrt(err2 / ref2), max_requant_change(t.type)) << tr.name;
  }
  EXPECT_GE(stats.size(), 1u);
  for (auto& [type, s] : stats) {
    const double frac = double(s.identical) / double(s.blocks);
    std::printf("%-6s %8lld blocks, %5.1f%% requantized identically\n", type_name(type),
                static_cast<long long>(s.blocks), 100 * frac);
    if (!requantizes_exactly(type)) {
      EXPECT_GE(frac, min_identical_fraction(type)) << type_name(type);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, QuantFixtures, testing::ValuesIn(kModels), [](const auto& info) {
  std::string name = info.param;
  name = name.substr(0, name.find('.'));
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
});

// Together the models cover every quantized type llama.cpp's mixes use.
TEST(QuantFixturesCoverage, AllKQuantsPresent) {
  AIRLOCK_REQUIRE_FIXTURES();
  std::set<TensorType> seen;
  for (const char* model : kModels) {
    const auto file = gguf::File::open(fixtures::dir() / "models" / model);
    for (const auto& t : file->tensors()) seen.insert(t.type);
  }
  for (TensorType t : {TensorType::Q4_0, TensorType::Q8_0, TensorType::Q2_K, TensorType::Q3_K, TensorType::Q4_K,
                       TensorType::Q5_K, TensorType::Q6_K})
    EXPECT_TRUE(seen.count(t)) << type_name(t);
}
