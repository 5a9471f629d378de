// Half and bfloat16 conversions: exact, with IEEE round-to-nearest-even, Inf, NaN and subnormals.
#include <gtest/gtest.h>
#include <immintrin.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "tensor/cpu_path.h"
#include "tensor/fp16.h"
#include "tensor/type_traits.h"

using namespace airlock;
using fp16::bf16_to_float;
using fp16::float_to_bf16;
using fp16::float_to_half;
using fp16::half_to_float;

namespace {

float bits(uint32_t u) { return std::bit_cast<float>(u); }

// The CPU's own conversion (F16C), an independent reference for rounding.
__attribute__((target("f16c"))) uint16_t hw_float_to_half(float f) {
  return static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
}
__attribute__((target("f16c"))) float hw_half_to_float(uint16_t h) { return _cvtsh_ss(h); }

}  // namespace

TEST(Fp16, KnownHalves) {
  EXPECT_EQ(half_to_float(0x3c00), 1.0f);
  EXPECT_EQ(half_to_float(0xc000), -2.0f);
  EXPECT_EQ(half_to_float(0x7bff), 65504.0f);
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(half_to_float(0x03ff), 1023 * std::ldexp(1.0f, -24));
  EXPECT_EQ(half_to_float(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_EQ(half_to_float(0x7c00), INFINITY);
  EXPECT_EQ(half_to_float(0xfc00), -INFINITY);
  EXPECT_TRUE(std::isnan(half_to_float(0x7e00)));
  EXPECT_TRUE(std::signbit(half_to_float(0x8000)));
}

TEST(Fp16, RoundsToNearestEven) {
  const float ulp1 = std::ldexp(1.0f, -10);  // half spacing just above 1
  EXPECT_EQ(float_to_half(1 + ulp1 / 2), 0x3c00);      // tie -> even (down)
  EXPECT_EQ(float_to_half(1 + 3 * ulp1 / 2), 0x3c02);  // tie -> even (up)
  EXPECT_EQ(float_to_half(std::nextafter(1 + ulp1 / 2, 2.0f)), 0x3c01);
  EXPECT_EQ(float_to_half(65519.0f), 0x7bff);
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);  // tie past the largest finite -> Inf
  EXPECT_EQ(float_to_half(1e10f), 0x7c00);
  EXPECT_EQ(float_to_half(-INFINITY), 0xfc00);
  const float sub = std::ldexp(1.0f, -24);
  EXPECT_EQ(float_to_half(sub / 2), 0x0000);      // tie -> even zero
  EXPECT_EQ(float_to_half(sub * 0.51f), 0x0001);
  EXPECT_EQ(float_to_half(sub * 1.5f), 0x0002);   // tie -> even
  EXPECT_EQ(float_to_half(sub * 2.5f), 0x0002);   // tie -> even
  EXPECT_EQ(float_to_half(-sub * 3), 0x8003);
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -14) - sub / 4), 0x0400);  // rounds up into normals
  EXPECT_EQ(float_to_half(bits(0x00000001)), 0x0000);  // float subnormal
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  const uint16_t nan = float_to_half(NAN);
  EXPECT_EQ(nan & 0x7c00, 0x7c00);
  EXPECT_NE(nan & 0x03ff, 0);
  EXPECT_NE(float_to_half(bits(0x7f800001)) & 0x03ff, 0);  // signalling NaN payload lost: still NaN
}

TEST(Fp16, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = half_to_float(static_cast<uint16_t>(h));
    const bool is_nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
    if (is_nan) {
      EXPECT_TRUE(std::isnan(f));
      continue;
    }
    if (has_f16c()) {
      ASSERT_EQ(std::bit_cast<uint32_t>(f), std::bit_cast<uint32_t>(hw_half_to_float(static_cast<uint16_t>(h))));
    }
    ASSERT_EQ(float_to_half(f), h) << h;
  }
}

TEST(Fp16, MatchesHardwareOnRandomFloats) {
  if (!has_f16c()) GTEST_SKIP() << "no F16C";
  std::mt19937 rng(42);
  for (int i = 0; i < 2000000; ++i) {
    uint32_t u = rng();
    // Concentrate on the exponent range where halves live (normal, subnormal, overflow edges).
    u = (u & 0x807fffffu) | ((96 + (u >> 23) % 48) << 23);
    const float f = bits(u);
    ASSERT_EQ(float_to_half(f), hw_float_to_half(f)) << std::hex << u;
  }
}

TEST(Bf16, Conversions) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  const float ulp = std::ldexp(1.0f, -7);
  EXPECT_EQ(float_to_bf16(1 + ulp / 2), 0x3f80);      // tie -> even
  EXPECT_EQ(float_to_bf16(1 + 3 * ulp / 2), 0x3f82);  // tie -> even
  EXPECT_EQ(float_to_bf16(std::nextafter(1 + ulp / 2, 2.0f)), 0x3f81);
  EXPECT_EQ(float_to_bf16(INFINITY), 0x7f80);
  EXPECT_EQ(float_to_bf16(-INFINITY), 0xff80);
  EXPECT_EQ(float_to_bf16(bits(0x7f7fffff)), 0x7f80);  // FLT_MAX rounds to Inf
  EXPECT_EQ(float_to_bf16(bits(0x00018000)), 0x0002);  // subnormal tie -> even
  EXPECT_EQ(float_to_bf16(bits(0x00008000)), 0x0000);
  EXPECT_EQ(float_to_bf16(bits(0x80010001)), 0x8001);
  EXPECT_EQ(float_to_bf16(bits(0x7f800001)), 0x7fc0);  // NaN stays NaN (made quiet)
  EXPECT_EQ(float_to_bf16(bits(0xffc12345)), 0xffc1);
  EXPECT_EQ(bf16_to_float(0xc040), -3.0f);
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = bf16_to_float(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(float_to_bf16(f), h);
  }
}

TEST(Fp16, RowsThroughTypeTable) {
  const float x[4] = {1.0f, -0.5f, 65504.0f, std::ldexp(1.0f, -24)};
  uint16_t h[4];
  type_traits(TensorType::F16).from_float(x, h, 4);
  EXPECT_EQ(h[0], 0x3c00);
  EXPECT_EQ(h[1], 0xb800);
  EXPECT_EQ(h[2], 0x7bff);
  EXPECT_EQ(h[3], 0x0001);
  float y[4];
  type_traits(TensorType::F16).to_float(h, y, 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(y[i], x[i]);
  type_traits(TensorType::BF16).from_float(x, h, 4);
  EXPECT_EQ(h[0], 0x3f80);
  EXPECT_EQ(h[1], 0xbf00);
  type_traits(TensorType::F32).to_float(x, y, 4);
  EXPECT_EQ(std::memcmp(x, y, sizeof x), 0);
}

// The F16C row conversion (used on the AVX2 and AVX-512 paths) against the scalar one for every
// half, at lengths that leave a scalar tail.
TEST(Fp16, F16cRowConversionMatchesScalarForEveryHalf) {
  if (airlock::detected_cpu_path() == airlock::CpuPath::Scalar) GTEST_SKIP() << "no F16C on this CPU";
  std::vector<uint16_t> halves(65536 + 5);
  for (size_t i = 0; i < halves.size(); ++i) halves[i] = static_cast<uint16_t>(i);
  std::vector<float> out(halves.size());
  // The type table hands it out for the AVX2 path and above, the scalar one below.
  const TypeTraits& f16 = type_traits(TensorType::F16);
  ASSERT_EQ(to_float_kernel(f16, CpuPath::Avx2), &airlock::fp16::f16_to_f32_row_avx2);
  ASSERT_EQ(to_float_kernel(f16, CpuPath::Scalar), &airlock::fp16::f16_to_f32_row);
  to_float_kernel(f16, detected_cpu_path())(halves.data(), out.data(), static_cast<int64_t>(halves.size()));
  for (size_t i = 0; i < halves.size(); ++i) {
    const float want = airlock::fp16::half_to_float(halves[i]);
    if (std::isnan(want))
      EXPECT_TRUE(std::isnan(out[i])) << i;
    else
      EXPECT_EQ(std::bit_cast<uint32_t>(out[i]), std::bit_cast<uint32_t>(want)) << "half 0x" << std::hex << halves[i];
  }
}
