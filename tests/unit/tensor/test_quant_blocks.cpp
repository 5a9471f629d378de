// Hand-built blocks: bytes laid out as GGML documents each format, expected values computed here
// from the format's definition (scale * quant [- min]), then compared with the type table's
// to_float. A few quantizer cases are worked out by hand as well.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "tensor/type_traits.h"

using namespace airlock;

namespace {

// The IQ4_NL codebook as published with the format.
constexpr int kIQ4[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// Half-precision bit patterns of a few exact values.
constexpr uint16_t kHalfOne = 0x3c00, kHalfTwo = 0x4000, kHalfHalf = 0x3800, kHalfQuarter = 0x3400,
                   kHalfEighth = 0x3000, kHalfMinusOne = 0xbc00;

void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v & 0xff);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}

std::vector<float> dequant(TensorType t, const std::vector<uint8_t>& bytes) {
  const auto& tr = type_traits(t);
  EXPECT_EQ(bytes.size(), tr.type_size);
  std::vector<float> out(static_cast<size_t>(tr.block_size));
  tr.to_float(bytes.data(), out.data(), tr.block_size);
  return out;
}

void expect_values(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], want[i]) << "element " << i;
}

}  // namespace

TEST(QuantBlocks, Q4_0) {
  std::vector<uint8_t> b(18);
  put16(b, 0, kHalfHalf);
  for (int j = 0; j < 16; ++j) b[2 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  std::vector<float> want(32);
  for (int j = 0; j < 16; ++j) {
    want[j] = (j - 8) * 0.5f;
    want[j + 16] = (15 - j - 8) * 0.5f;
  }
  expect_values(dequant(TensorType::Q4_0, b), want);
}

TEST(QuantBlocks, Q4_1) {
  std::vector<uint8_t> b(20);
  put16(b, 0, kHalfHalf);
  put16(b, 2, kHalfMinusOne);
  for (int j = 0; j < 16; ++j) b[4 + j] = static_cast<uint8_t>(j | (3 << 4));
  std::vector<float> want(32);
  for (int j = 0; j < 16; ++j) {
    want[j] = j * 0.5f - 1;
    want[j + 16] = 3 * 0.5f - 1;
  }
  expect_values(dequant(TensorType::Q4_1, b), want);
}

TEST(QuantBlocks, Q5_0) {
  std::vector<uint8_t> b(22);
  put16(b, 0, kHalfOne);
  // qh little-endian 32 bits: bit i is the fifth bit of element i; set it for odd elements.
  for (int k = 0; k < 4; ++k) b[2 + k] = 0xaa;
  for (int j = 0; j < 16; ++j) b[6 + j] = static_cast<uint8_t>(j | (j << 4));
  std::vector<float> want(32);
  for (int i = 0; i < 32; ++i) want[i] = static_cast<float>((i % 16) + (i % 2) * 16 - 16);
  expect_values(dequant(TensorType::Q5_0, b), want);
}

TEST(QuantBlocks, Q5_1) {
  std::vector<uint8_t> b(24);
  put16(b, 0, kHalfTwo);
  put16(b, 2, kHalfHalf);
  b[4] = 0x00, b[5] = 0x00, b[6] = 0xff, b[7] = 0xff;  // fifth bit for elements 16..31
  for (int j = 0; j < 16; ++j) b[8 + j] = static_cast<uint8_t>((15 - j) | (j << 4));
  std::vector<float> want(32);
  for (int j = 0; j < 16; ++j) {
    want[j] = (15 - j) * 2.0f + 0.5f;
    want[j + 16] = (j + 16) * 2.0f + 0.5f;
  }
  expect_values(dequant(TensorType::Q5_1, b), want);
}

TEST(QuantBlocks, Q8_0AndQ8_1) {
  std::vector<uint8_t> b(34);
  put16(b, 0, kHalfQuarter);
  for (int j = 0; j < 32; ++j) b[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(4 * j - 100));
  std::vector<float> want(32);
  for (int j = 0; j < 32; ++j) want[j] = (4 * j - 100) * 0.25f;
  expect_values(dequant(TensorType::Q8_0, b), want);

  std::vector<uint8_t> c(36);
  put16(c, 0, kHalfHalf);
  put16(c, 2, kHalfTwo);  // the sum field does not enter the values
  for (int j = 0; j < 32; ++j) c[4 + j] = static_cast<uint8_t>(static_cast<int8_t>(127 - 8 * j));
  for (int j = 0; j < 32; ++j) want[j] = (127 - 8 * j) * 0.5f;
  expect_values(dequant(TensorType::Q8_1, c), want);
}

TEST(QuantBlocks, Q2_K) {
  // scales[16] | qs[64] | d | dmin. Element e: sub-block e/16 (low nibble scale, high nibble min);
  // quant = 2 bits of qs[32*(e/128) + e%32] at bit 2*((e%128)/32).
  std::vector<uint8_t> b(84);
  for (int s = 0; s < 16; ++s) b[s] = static_cast<uint8_t>((s % 8 + 1) | ((s % 5) << 4));
  for (int k = 0; k < 64; ++k) b[16 + k] = static_cast<uint8_t>(k * 29 + 7);
  put16(b, 80, kHalfOne);
  put16(b, 82, kHalfHalf);
  std::vector<float> want(256);
  for (int e = 0; e < 256; ++e) {
    const int s = e / 16;
    const int byte = b[16 + 32 * (e / 128) + e % 32];
    const int q = (byte >> (2 * ((e % 128) / 32))) & 3;
    want[e] = 1.0f * (s % 8 + 1) * q - 0.5f * (s % 5);
  }
  expect_values(dequant(TensorType::Q2_K, b), want);
}

TEST(QuantBlocks, Q3_K) {
  // hmask[32] | qs[64] | scales[12] | d. Scales are 6-bit, stored +32: low nibbles in bytes 0-7
  // (sub-block s < 8 low nibble of byte s, s >= 8 high nibble of byte s-8), top two bits in byte
  // 8 + s%4 at bit 2*(s/4). Quant = 2 low bits as in Q2_K, minus 4 where the hmask bit is clear.
  std::vector<uint8_t> b(110);
  for (int k = 0; k < 32; ++k) b[k] = static_cast<uint8_t>(k * 53 + 11);
  for (int k = 0; k < 64; ++k) b[32 + k] = static_cast<uint8_t>(k * 71 + 3);
  int scale[16];
  for (int s = 0; s < 16; ++s) scale[s] = 4 * s - 30;  // -30 .. 30
  for (int s = 0; s < 16; ++s) {
    const int stored = scale[s] + 32;
    if (s < 8)
      b[96 + s] |= static_cast<uint8_t>(stored & 0xf);
    else
      b[96 + s - 8] |= static_cast<uint8_t>((stored & 0xf) << 4);
    b[96 + 8 + s % 4] |= static_cast<uint8_t>((stored >> 4) << (2 * (s / 4)));
  }
  put16(b, 108, kHalfHalf);
  std::vector<float> want(256);
  for (int e = 0; e < 256; ++e) {
    const int lo = (b[32 + 32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
    const bool high = (b[e % 32] >> (e / 32)) & 1;
    want[e] = 0.5f * scale[e / 16] * (lo - (high ? 0 : 4));
  }
  expect_values(dequant(TensorType::Q3_K, b), want);
}

namespace {

// Q4_K/Q5_K scale bytes: sub-blocks 0-3 keep 6-bit scale/min in bytes 0-3 / 4-7; sub-blocks 4-7
// keep low nibbles in bytes 8-11 (scale low, min high) and top bits in bits 6-7 of bytes 0-3
// (scale) and 4-7 (min).
void pack_k4_scales(const int* sc, const int* mn, uint8_t* out) {
  for (int j = 0; j < 4; ++j) {
    out[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
    out[j + 4] = static_cast<uint8_t>(mn[j] | ((mn[j + 4] >> 4) << 6));
    out[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0xf) | ((mn[j + 4] & 0xf) << 4));
  }
}

}  // namespace

TEST(QuantBlocks, Q4_K) {
  // d | dmin | scales[12] | qs[128]. Sub-blocks 2k, 2k+1 use the low / high nibbles of qs[32k..].
  std::vector<uint8_t> b(144);
  put16(b, 0, kHalfHalf);
  put16(b, 2, kHalfQuarter);
  const int sc[8] = {1, 63, 17, 32, 48, 5, 60, 33}, mn[8] = {0, 7, 63, 20, 50, 16, 1, 47};
  pack_k4_scales(sc, mn, &b[4]);
  for (int k = 0; k < 128; ++k) b[16 + k] = static_cast<uint8_t>(k * 37 + 5);
  std::vector<float> want(256);
  for (int e = 0; e < 256; ++e) {
    const int j = e / 32, l = e % 32;
    const int byte = b[16 + 32 * (j / 2) + l];
    const int q = j % 2 ? byte >> 4 : byte & 0xf;
    want[e] = 0.5f * sc[j] * q - 0.25f * mn[j];
  }
  expect_values(dequant(TensorType::Q4_K, b), want);
}

TEST(QuantBlocks, Q5_K) {
  // d | dmin | scales[12] | qh[32] | qs[128]; qh[l] bit j is the fifth bit of sub-block j, element l.
  std::vector<uint8_t> b(176);
  put16(b, 0, kHalfQuarter);
  put16(b, 2, kHalfTwo);
  const int sc[8] = {40, 2, 63, 9, 31, 32, 16, 1}, mn[8] = {63, 0, 15, 16, 48, 3, 33, 8};
  pack_k4_scales(sc, mn, &b[4]);
  for (int k = 0; k < 32; ++k) b[16 + k] = static_cast<uint8_t>(k * 97 + 13);
  for (int k = 0; k < 128; ++k) b[48 + k] = static_cast<uint8_t>(k * 41 + 9);
  std::vector<float> want(256);
  for (int e = 0; e < 256; ++e) {
    const int j = e / 32, l = e % 32;
    const int byte = b[48 + 32 * (j / 2) + l];
    const int q = (j % 2 ? byte >> 4 : byte & 0xf) + 16 * ((b[16 + l] >> j) & 1);
    want[e] = 0.25f * sc[j] * q - 2.0f * mn[j];
  }
  expect_values(dequant(TensorType::Q5_K, b), want);
}

TEST(QuantBlocks, Q6_K) {
  // ql[128] | qh[64] | scales[16] (int8) | d. Per 128-element half h: element 32*i + l takes its
  // low nibble from ql[64h + 32*(i%2) + l] (low nibble for i < 2, high for i >= 2) and its top two
  // bits from qh[32h + l] at bit 2i; value = d * scale[e/16] * (q - 32).
  std::vector<uint8_t> b(210);
  for (int k = 0; k < 128; ++k) b[k] = static_cast<uint8_t>(k * 37 + 1);
  for (int k = 0; k < 64; ++k) b[128 + k] = static_cast<uint8_t>(k * 91 + 17);
  for (int s = 0; s < 16; ++s) b[192 + s] = static_cast<uint8_t>(static_cast<int8_t>(s * 15 - 120));
  put16(b, 208, kHalfEighth);
  std::vector<float> want(256);
  for (int e = 0; e < 256; ++e) {
    const int h = e / 128, i = (e % 128) / 32, l = e % 32;
    const int lowbyte = b[64 * h + 32 * (i % 2) + l];
    const int low = i < 2 ? lowbyte & 0xf : lowbyte >> 4;
    const int high = (b[128 + 32 * h + l] >> (2 * i)) & 3;
    want[e] = 0.125f * static_cast<float>((e / 16) * 15 - 120) * ((low | (high << 4)) - 32);
  }
  expect_values(dequant(TensorType::Q6_K, b), want);
}

TEST(QuantBlocks, Q8_K) {
  // float d | int8 qs[256] | int16 bsums[16]
  std::vector<uint8_t> b(292);
  const float d = 0.375f;
  std::memcpy(&b[0], &d, 4);
  for (int j = 0; j < 256; ++j) b[4 + j] = static_cast<uint8_t>(static_cast<int8_t>(j - 128));
  std::vector<float> want(256);
  for (int j = 0; j < 256; ++j) want[j] = 0.375f * (j - 128);
  expect_values(dequant(TensorType::Q8_K, b), want);
}

TEST(QuantBlocks, IQ4_NL) {
  std::vector<uint8_t> b(18);
  put16(b, 0, kHalfHalf);
  for (int j = 0; j < 16; ++j) b[2 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  std::vector<float> want(32);
  for (int j = 0; j < 16; ++j) {
    want[j] = 0.5f * kIQ4[j];
    want[j + 16] = 0.5f * kIQ4[15 - j];
  }
  expect_values(dequant(TensorType::IQ4_NL, b), want);
}

TEST(QuantBlocks, IQ4_XS) {
  // d | scales_h (u16, 2 bits per sub-block) | scales_l[4] (nibble per sub-block) | qs[128];
  // sub-block scale = 6-bit value - 32; nibbles as in IQ4_NL per 32 elements.
  std::vector<uint8_t> b(136);
  put16(b, 0, kHalfQuarter);
  int ls[8];
  uint16_t high = 0;
  for (int ib = 0; ib < 8; ++ib) {
    ls[ib] = ib * 9;  // 0 .. 63: every stored scale, -32 .. 31
    b[4 + ib / 2] |= static_cast<uint8_t>((ls[ib] & 0xf) << (4 * (ib % 2)));
    high |= static_cast<uint16_t>((ls[ib] >> 4) << (2 * ib));
  }
  put16(b, 2, high);
  for (int k = 0; k < 128; ++k) b[8 + k] = static_cast<uint8_t>(k * 23 + 4);
  std::vector<float> want(256);
  for (int e = 0; e < 256; ++e) {
    const int ib = e / 32, r = e % 32;
    const int byte = b[8 + 16 * ib + r % 16];
    const int idx = r < 16 ? byte & 0xf : byte >> 4;
    want[e] = 0.25f * (ls[ib] - 32) * kIQ4[idx];
  }
  expect_values(dequant(TensorType::IQ4_XS, b), want);
}

// Quantizers on inputs simple enough to work out by hand.
TEST(QuantBlocks, QuantizeByHand) {
  float x[32];
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j - 16);  // -16 .. 15

  // Q4_0: largest magnitude -16 -> d = -16 / -8 = 2; q = trunc(x/2 + 8.5) = trunc(j/2 + 0.5),
  // capped at 15.
  uint8_t q4[18];
  type_traits(TensorType::Q4_0).from_float(x, q4, 32);
  EXPECT_EQ(q4[0] | (q4[1] << 8), kHalfTwo);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(q4[2 + j] & 0xf, (j + 1) / 2) << j;
    EXPECT_EQ(q4[2 + j] >> 4, std::min(15, (j + 17) / 2)) << j;
  }

  // Q4_1: min -16, max 15 -> d = 31/15, q = trunc((x+16) * 15/31 + 0.5).
  uint8_t q41[20];
  type_traits(TensorType::Q4_1).from_float(x, q41, 32);
  EXPECT_EQ(q41[2] | (q41[3] << 8), 0xcc00);  // -16 as a half
  EXPECT_EQ(q41[4] & 0xf, 0);
  EXPECT_EQ(q41[4 + 15] >> 4, 15);
  EXPECT_EQ(q41[4 + 1] & 0xf, 0);  // 1 * 15/31 = 0.48 -> 0
  EXPECT_EQ(q41[4 + 2] & 0xf, 1);  // 2 * 15/31 = 0.97 -> 1

  // Q8_0: amax 16 -> d = 16/127, q = round(x * 127/16), ties away from zero.
  uint8_t q8[34];
  type_traits(TensorType::Q8_0).from_float(x, q8, 32);
  for (int j = 0; j < 32; ++j) {
    const double want = std::round((j - 16) * 127.0 / 16.0);
    EXPECT_EQ(static_cast<int8_t>(q8[2 + j]), want) << j;
  }

  // Q8_K: largest magnitude -16 -> scale -127/-16; d = 16/127.
  std::vector<float> xk(256);
  for (int j = 0; j < 256; ++j) xk[j] = static_cast<float>(j % 32 - 16);
  std::vector<uint8_t> qk(292);
  type_traits(TensorType::Q8_K).from_float(xk.data(), qk.data(), 256);
  float d;
  std::memcpy(&d, qk.data(), 4);
  EXPECT_FLOAT_EQ(d, 16.0f / 127.0f);
  for (int s = 0; s < 16; ++s) {
    int sum = 0;
    for (int l = 0; l < 16; ++l) sum += static_cast<int8_t>(qk[4 + 16 * s + l]);
    EXPECT_EQ(static_cast<int16_t>(qk[260 + 2 * s] | (qk[261 + 2 * s] << 8)), sum);
  }
  EXPECT_EQ(static_cast<int8_t>(qk[4]), -127);
  EXPECT_EQ(static_cast<int8_t>(qk[4 + 31]), static_cast<int>(std::nearbyint(15 * 127.0 / 16)));
}

// An all-zero row quantizes to blocks that read back as zeros (no 0/0 anywhere).
TEST(QuantBlocks, ZerosStayZero) {
  for (TensorType t : {TensorType::Q4_0, TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1, TensorType::Q8_0,
                       TensorType::Q8_1, TensorType::Q2_K, TensorType::Q3_K, TensorType::Q4_K, TensorType::Q5_K,
                       TensorType::Q6_K, TensorType::Q8_K, TensorType::IQ4_NL, TensorType::IQ4_XS}) {
    const auto& tr = type_traits(t);
    std::vector<float> x(512, 0.0f), y(512, 1.0f);
    std::vector<uint8_t> q(*row_bytes(t, 512));
    tr.from_float(x.data(), q.data(), 512);
    tr.to_float(q.data(), y.data(), 512);
    for (float v : y) ASSERT_EQ(v, 0.0f) << tr.name;
  }
}

// MXFP4 (OCP Microscaling spec): FP4 E2M1 elements (sign, 2-bit exponent with bias 1, 1-bit
// mantissa; exponent 0 is subnormal: m * 0.5) times 2^(e - 127) from the shared E8M0 byte. The
// reference build in ../shared/anchors predates the type, so this is its only comparison.
TEST(QuantBlocks, MXFP4) {
  auto e2m1 = [](int nibble) {
    const int exponent = (nibble >> 1) & 3, mantissa = nibble & 1;
    const float mag = exponent == 0 ? 0.5f * mantissa : std::ldexp(1.0f + 0.5f * mantissa, exponent - 1);
    return nibble & 8 ? -mag : mag;
  };
  for (int e : {127, 130, 120, 1}) {
    std::vector<uint8_t> b(17);
    b[0] = static_cast<uint8_t>(e);
    for (int j = 0; j < 16; ++j) b[1 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
    std::vector<float> want(32);
    for (int j = 0; j < 16; ++j) {
      want[j] = std::ldexp(e2m1(j), e - 127);
      want[j + 16] = std::ldexp(e2m1(15 - j), e - 127);
    }
    expect_values(dequant(TensorType::MXFP4, b), want);
  }
}

// TQ2_0: 2-bit values q - 1 in {-1, 0, 1, 2}; byte 32*h + m holds elements 128*h + 32*l + m in
// bits 2l..2l+1; the half scale follows the 64 bytes.
TEST(QuantBlocks, TQ2_0) {
  std::vector<uint8_t> b(66);
  for (int k = 0; k < 64; ++k) b[k] = static_cast<uint8_t>(k * 37 + 11);
  put16(b, 64, kHalfHalf);
  std::vector<float> want(256);
  for (int h = 0; h < 2; ++h)
    for (int l = 0; l < 4; ++l)
      for (int m = 0; m < 32; ++m) want[128 * h + 32 * l + m] = 0.5f * (((b[32 * h + m] >> (2 * l)) & 3) - 1);
  expect_values(dequant(TensorType::TQ2_0, b), want);
}
