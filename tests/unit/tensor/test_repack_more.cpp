// Repacked Q6_K / Q8_0 / Q4_0 tile kernels against the scalar reference dot product on the
// original rows: random rows from the type table's quantizers, and hand-made extreme blocks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "airlock/error.h"
#include "tensor/cpu_path.h"
#include "tensor/quant_blocks.h"
#include "tensor/repack_q6_K_legacy.h"
#include "tensor/type_traits.h"

using namespace airlock;
using namespace airlock::kernels;

namespace {

constexpr int R = kRepackRows;

struct Kernels {
  TensorType type;
  size_t (*group_bytes)(int64_t);
  void (*pack)(const void*, size_t, int64_t, void*);
  void (*tile)(int64_t, const void*, const void*, size_t, int, float*, size_t);
};

const Kernels kQ6_K{TensorType::Q6_K, q6_K_x16_group_bytes, q6_K_x16_pack, q6_K_x16_tile_avx512};
const Kernels kQ8_0{TensorType::Q8_0, q8_0_x16_group_bytes, q8_0_x16_pack, q8_0_x16_tile_avx512};
const Kernels kQ4_0{TensorType::Q4_0, q4_0_x16_group_bytes, q4_0_x16_pack, q4_0_x16_tile_avx512};
const Kernels kQ5_0{TensorType::Q5_0, q5_0_x16_group_bytes, q5_0_x16_pack, q5_0_x16_tile_avx512};

bool has_vnni() { return detected_cpu_path() == CpuPath::Avx512; }
#define REQUIRE_VNNI()                                                                              \
  do {                                                                                              \
    if (!has_vnni()) GTEST_SKIP() << "!!! CPU lacks AVX-512 VNNI: repacked tile kernels NOT tested !!!"; \
  } while (0)

// A weight or activation matrix of `rows` rows, each stride bytes apart (stride may exceed the row).
struct Rows {
  std::vector<uint8_t> bytes;
  size_t stride = 0;
  const uint8_t* row(int r) const { return bytes.data() + static_cast<size_t>(r) * stride; }
  uint8_t* row(int r) { return bytes.data() + static_cast<size_t>(r) * stride; }
};

Rows quantized_rows(TensorType t, int rows, int64_t cols, size_t pad, std::mt19937& rng, float sigma) {
  std::normal_distribution<float> g(0.0f, sigma);
  Rows m;
  m.stride = *row_bytes(t, cols) + pad;
  m.bytes.assign(m.stride * static_cast<size_t>(rows), 0xcd);
  std::vector<float> x(static_cast<size_t>(cols));
  for (int r = 0; r < rows; ++r) {
    for (auto& v : x) v = g(rng);
    type_traits(t).from_float(x.data(), m.row(r), cols);
  }
  return m;
}

// sum |w_e * a_e| over the dequantized rows: the scale of the float rounding in a dot product.
double abs_dot(TensorType wt, const uint8_t* w, TensorType at, const uint8_t* a, int64_t cols) {
  std::vector<float> x(static_cast<size_t>(cols)), y(static_cast<size_t>(cols));
  type_traits(wt).to_float(w, x.data(), cols);
  type_traits(at).to_float(a, y.data(), cols);
  double s = 0;
  for (size_t i = 0; i < x.size(); ++i) s += std::fabs(double(x[i]) * double(y[i]));
  return s;
}

// Packs the 16 weight rows, runs the tile on n_tokens activation rows and compares every output
// with the scalar kernel on the original rows.
void check_tile(const Kernels& k, const Rows& w, const Rows& a, int64_t cols, int n_tokens) {
  const auto& tr = type_traits(k.type);
  const auto scalar = vec_dot_kernel(tr, CpuPath::Scalar);
  std::vector<uint8_t> group(k.group_bytes(cols));
  k.pack(w.bytes.data(), w.stride, cols, group.data());
  const size_t out_stride = R + 3;  // not a multiple of 16: the tile must honour it
  const int n_acts = static_cast<int>(a.bytes.size() / a.stride);
  std::vector<float> out(out_stride * static_cast<size_t>(n_acts), -12345.0f);
  k.tile(cols, group.data(), a.bytes.data(), a.stride, n_tokens, out.data(), out_stride);
  for (int t = 0; t < n_acts; ++t) {
    for (size_t r = R; r < out_stride; ++r)
      ASSERT_EQ(out[static_cast<size_t>(t) * out_stride + r], -12345.0f) << "tile wrote past row 16";
    for (int r = 0; r < R; ++r) {
      const float got = out[static_cast<size_t>(t) * out_stride + r];
      if (t >= n_tokens) {
        ASSERT_EQ(got, -12345.0f) << "tile wrote past n_tokens=" << n_tokens;
        continue;
      }
      const float want = scalar(cols, w.row(r), a.row(t));
      const double tol = 1e-5 * std::fabs(want) + 4e-6 * abs_dot(k.type, w.row(r), tr.vec_dot_type, a.row(t), cols) + 1e-30;
      ASSERT_NEAR(got, want, tol) << tr.name << " cols=" << cols << " n_tokens=" << n_tokens << " row " << r
                                  << " token " << t;
    }
  }
}

void check_random(const Kernels& k, const std::vector<int64_t>& col_counts) {
  std::mt19937 rng(1234 + static_cast<int>(k.type));
  const auto& tr = type_traits(k.type);
  for (int64_t cols : col_counts) {
    // Row strides padded beyond the row (by amounts keeping the blocks' alignment, as in GGUF).
    const Rows w = quantized_rows(k.type, R, cols, 6, rng, 0.02f);
    const Rows a = quantized_rows(tr.vec_dot_type, 11, cols, 12, rng, 1.0f);
    for (int n = 0; n <= 11; ++n) check_tile(k, w, a, cols, n);  // 9..11: a second pass
  }
}

}  // namespace

TEST(RepackMore, GroupBytesAreSixteenRows) {
  for (const Kernels* k : {&kQ6_K, &kQ8_0, &kQ4_0, &kQ5_0})
    for (int64_t cols : {256, 2048, 8192}) EXPECT_EQ(k->group_bytes(cols), R * *row_bytes(k->type, cols));
  EXPECT_EQ(q8_0_x16_group_bytes(96), R * *row_bytes(TensorType::Q8_0, 96));
  EXPECT_EQ(q4_0_x16_group_bytes(2080), R * *row_bytes(TensorType::Q4_0, 2080));
}

TEST(RepackMore, BadColumnCountsThrow) {
  uint8_t dummy[64] = {};
  for (int64_t cols : {0, -256, 100, 2080}) {
    EXPECT_THROW(q6_K_x16_group_bytes(cols), Error) << cols;
    EXPECT_THROW(q6_K_x16_pack(dummy, 0, cols, dummy), Error) << cols;
  }
  for (int64_t cols : {0, -32, 33, 100}) {
    EXPECT_THROW(q8_0_x16_group_bytes(cols), Error) << cols;
    EXPECT_THROW(q4_0_x16_group_bytes(cols), Error) << cols;
    EXPECT_THROW(q8_0_x16_pack(dummy, 0, cols, dummy), Error) << cols;
    EXPECT_THROW(q4_0_x16_pack(dummy, 0, cols, dummy), Error) << cols;
    EXPECT_THROW(q5_0_x16_pack(dummy, 0, cols, dummy), Error) << cols;
  }
  try {
    q6_K_x16_group_bytes(100);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("q6_K"), std::string::npos) << e.what();
  }
}

TEST(RepackMore, Q6_KMatchesScalar) {
  REQUIRE_VNNI();
  check_random(kQ6_K, {256, 512, 2048, 8192});
}

TEST(RepackMore, Q8_0MatchesScalar) {
  REQUIRE_VNNI();
  check_random(kQ8_0, {32, 96, 256, 2080, 8192});
}

TEST(RepackMore, Q4_0MatchesScalar) {
  REQUIRE_VNNI();
  check_random(kQ4_0, {32, 96, 256, 2080, 8192});
}

TEST(RepackMore, Q5_0MatchesScalar) {
  REQUIRE_VNNI();
  check_random(kQ5_0, {32, 96, 256, 896, 2080, 8192});
}

namespace {

// Rows and activations built block by block: fill(row or token index, block index, block bytes).
Rows built_rows(TensorType t, int rows, int64_t cols, const std::function<void(int, int64_t, uint8_t*)>& fill) {
  Rows m;
  const auto& tr = type_traits(t);
  m.stride = *row_bytes(t, cols);
  m.bytes.assign(m.stride * static_cast<size_t>(rows), 0);
  for (int r = 0; r < rows; ++r)
    for (int64_t b = 0; b < cols / tr.block_size; ++b) fill(r, b, m.row(r) + static_cast<size_t>(b) * tr.type_size);
  return m;
}

// Q8_K activations whose quants are all q (bsums consistent), scale d.
void fill_q8_K(uint8_t* p, int8_t q, float d) {
  quant::BlockQ8_K b{};
  b.d = d;
  std::memset(b.qs, static_cast<uint8_t>(q), sizeof b.qs);
  for (auto& s : b.bsums) s = static_cast<int16_t>(16 * q);
  std::memcpy(p, &b, sizeof b);
}

void fill_q8_0(uint8_t* p, int8_t q, uint16_t d) {
  quant::BlockQ8_0 b{};
  b.d = d;
  std::memset(b.qs, static_cast<uint8_t>(q), sizeof b.qs);
  std::memcpy(p, &b, sizeof b);
}

}  // namespace

// Every quant at its largest or smallest value, sub-block scales at +127 / -128, and fp16 scales
// from the largest normal to a subnormal: overflow or saturation anywhere in the integer path,
// or a mishandled sign, shows up here.
TEST(RepackMore, Q6_KExtremes) {
  REQUIRE_VNNI();
  const int64_t cols = 512;
  const uint16_t scales[] = {0x7bff /* 65504 */, 0x0001 /* smallest subnormal */, 0x3c00, 0xbc00};
  const Rows w = built_rows(TensorType::Q6_K, R, cols, [&](int r, int64_t b, uint8_t* p) {
    quant::BlockQ6_K blk{};
    const bool top = (r + b) % 2 == 0;  // q = 63 (value +31) or q = 0 (value -32)
    std::memset(blk.ql, top ? 0xff : 0x00, sizeof blk.ql);
    std::memset(blk.qh, top ? 0xff : 0x00, sizeof blk.qh);
    for (int s = 0; s < 16; ++s) blk.scales[s] = static_cast<int8_t>((r / 2 + s) % 3 == 0 ? -128 : 127);
    blk.d = scales[r % 4];
    std::memcpy(p, &blk, sizeof blk);
  });
  const Rows a = built_rows(TensorType::Q8_K, 8, cols, [&](int t, int64_t b, uint8_t* p) {
    fill_q8_K(p, static_cast<int8_t>((t + b) % 3 == 0 ? -128 : 127), t % 2 ? 1e-3f : 1.0f);
  });
  for (int n = 1; n <= 8; ++n) check_tile(kQ6_K, w, a, cols, n);
}

TEST(RepackMore, Q8_0Extremes) {
  REQUIRE_VNNI();
  const int64_t cols = 96;
  const uint16_t scales[] = {0x7bff, 0x0001, 0x3c00, 0xbc00};
  const Rows w = built_rows(TensorType::Q8_0, R, cols, [&](int r, int64_t b, uint8_t* p) {
    fill_q8_0(p, static_cast<int8_t>((r + b) % 2 ? -128 : 127), scales[r % 4]);
  });
  const Rows a = built_rows(TensorType::Q8_0, 8, cols, [&](int t, int64_t b, uint8_t* p) {
    fill_q8_0(p, static_cast<int8_t>((t + b) % 3 == 0 ? -128 : 127), t % 2 ? 0x1400 : 0x3c00);
  });
  for (int n = 1; n <= 8; ++n) check_tile(kQ8_0, w, a, cols, n);
}

TEST(RepackMore, Q4_0Extremes) {
  REQUIRE_VNNI();
  const int64_t cols = 96;
  const uint16_t scales[] = {0x7bff, 0x0001, 0x3c00, 0xbc00};
  const Rows w = built_rows(TensorType::Q4_0, R, cols, [&](int r, int64_t b, uint8_t* p) {
    quant::BlockQ4_0 blk{};
    std::memset(blk.qs, (r + b) % 2 ? 0x00 : 0xff, sizeof blk.qs);  // value -8 or +7
    blk.d = scales[r % 4];
    std::memcpy(p, &blk, sizeof blk);
  });
  const Rows a = built_rows(TensorType::Q8_0, 8, cols, [&](int t, int64_t b, uint8_t* p) {
    fill_q8_0(p, static_cast<int8_t>((t + b) % 3 == 0 ? -128 : 127), t % 2 ? 0x1400 : 0x3c00);
  });
  for (int n = 1; n <= 8; ++n) check_tile(kQ4_0, w, a, cols, n);
}

// Rows at odd addresses (any row_stride) pack to the same bytes as aligned rows.
TEST(RepackMore, PackIgnoresRowAlignment) {
  std::mt19937 rng(7);
  for (const Kernels* k : {&kQ6_K, &kQ8_0, &kQ4_0}) {
    const int64_t cols = 512;
    const Rows w = quantized_rows(k->type, R, cols, 0, rng, 0.02f);
    std::vector<uint8_t> odd(1 + (w.stride + 1) * R);
    for (int r = 0; r < R; ++r) std::memcpy(odd.data() + 1 + (w.stride + 1) * r, w.row(r), w.stride);
    std::vector<uint8_t> a(k->group_bytes(cols)), b(a.size());
    k->pack(w.bytes.data(), w.stride, cols, a.data());
    k->pack(odd.data() + 1, w.stride + 1, cols, b.data());
    EXPECT_EQ(a, b) << type_name(k->type);
  }
}
