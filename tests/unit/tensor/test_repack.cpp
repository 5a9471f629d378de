// Packed ("rows in lanes") weights: matmul through the tile kernels against the scalar dot-product
// kernel on the original rows. Both do the same integer arithmetic on the same Q8_K activations;
// only the float summation order differs, so the tolerance is a few float roundings of the sum of
// |w| * |a| over the row.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "airlock/error.h"
#include "random_blocks.h"
#include "tensor/cpu_path.h"
#include "tensor/fp16.h"
#include "tensor/matmul.h"
#include "tensor/repack.h"
#include "tensor/repack_weights.h"
#include "tensor/thread_pool.h"
#include "tensor/type_traits.h"

using namespace airlock;

namespace {

// Every packed layout in the table (test_repack_more.cpp also checks the Q6_K/Q8_0/Q4_0 tiles
// directly, with extreme values); BF16's only where the CPU has AVX-512 BF16.
std::vector<TensorType> packed_types() {
  std::vector<TensorType> types = {TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K, TensorType::Q8_0,
                                   TensorType::Q4_0, TensorType::Q5_0, TensorType::Q3_K, TensorType::IQ4_XS,
                                   TensorType::IQ4_NL, TensorType::Q4_1, TensorType::Q5_1, TensorType::Q2_K,
                                   TensorType::IQ3_S, TensorType::IQ2_S, TensorType::IQ2_XS,
                                   TensorType::IQ2_XXS, TensorType::IQ3_XXS};
  // Types airlock only reads: random_weights gives them random blocks.
  types.insert(types.end(), {TensorType::TQ2_0, TensorType::MXFP4, TensorType::IQ1_S, TensorType::IQ1_M, TensorType::TQ1_0});
  if (has_avx512_bf16()) types.push_back(TensorType::BF16);
  return types;
}
const std::vector<TensorType> kTypes = packed_types();

#define REQUIRE_AVX512()                                                                  \
  do {                                                                                    \
    if (active_cpu_path() != CpuPath::Avx512)                                             \
      GTEST_SKIP() << "no AVX-512 VNNI path (CPU or AIRLOCK_CPU): the tile kernels cannot run"; \
  } while (0)

struct Quantized {
  TensorType type;
  int64_t rows, cols;
  size_t stride;
  std::vector<uint8_t> data;
  WeightView view() const { return WeightView{type, data.data(), rows, cols, stride}; }
};

Quantized random_weights(TensorType type, int64_t rows, int64_t cols, std::mt19937& rng) {
  const TypeTraits& tr = type_traits(type);
  std::normal_distribution<float> g(0.0f, 1.0f);
  const size_t stride = *row_bytes(type, cols) + 32;  // padded: the packer must honour the stride
  Quantized q{type, rows, cols, stride, std::vector<uint8_t>(stride * static_cast<size_t>(rows))};
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    if (!tr.from_float) {  // a type airlock only reads: random blocks (every index, sign and scale)
      const std::vector<uint8_t> blocks = test::random_blocks(type, cols, rng);
      std::memcpy(q.data.data() + static_cast<size_t>(r) * stride, blocks.data(), blocks.size());
      continue;
    }
    // Rows of different magnitudes and offsets exercise d, dmin, scales and mins.
    const float scale = 0.1f + 0.05f * static_cast<float>(r % 7), offset = 0.02f * static_cast<float>(r % 5);
    for (auto& v : row) v = scale * g(rng) + offset;
    tr.from_float(row.data(), q.data.data() + static_cast<size_t>(r) * stride, cols);
  }
  return q;
}

std::vector<float> random_activations(int64_t n_tokens, int64_t cols, std::mt19937& rng) {
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n_tokens * cols));
  for (auto& v : x) v = g(rng);
  return x;
}

// matmul on the packed view (active path: AVX-512) against the scalar kernel on the original rows.
void check_against_scalar(const Quantized& q, const WeightView& packed, const std::vector<float>& x, int64_t n_tokens,
                          ThreadPool* pool) {
  const TypeTraits& tr = type_traits(q.type);
  const TypeTraits& at = type_traits(tr.vec_dot_type);
  const size_t act_row = *row_bytes(at.type, q.cols);
  std::vector<float> y(static_cast<size_t>(n_tokens * q.rows), NAN);
  matmul(packed, x.data(), n_tokens, y.data(), pool);

  const kernels::VecDotFn scalar = vec_dot_kernel(tr, CpuPath::Scalar);
  std::vector<uint8_t> act(act_row);
  std::vector<float> wf(static_cast<size_t>(q.cols)), af(static_cast<size_t>(q.cols));
  for (int64_t t = 0; t < n_tokens; ++t) {
    at.from_float(x.data() + t * q.cols, act.data(), q.cols);
    at.to_float(act.data(), af.data(), q.cols);
    for (int64_t r = 0; r < q.rows; ++r) {
      const uint8_t* row = q.data.data() + static_cast<size_t>(r) * q.stride;
      const double ref = scalar(q.cols, row, act.data());
      tr.to_float(row, wf.data(), q.cols);
      double mag = 0;
      for (int64_t k = 0; k < q.cols; ++k) mag += std::fabs(double(wf[k]) * af[k]);
      // The BF16 tile rounds the activations to BF16 (8-bit significand: relative error up to 2^-8).
      const double rel = q.type == TensorType::BF16 ? 4e-3 : 1e-5;
      ASSERT_NEAR(y[t * q.rows + r], ref, rel * mag + 1e-6)
          << tr.name << " " << q.rows << "x" << q.cols << " row " << r << " token " << t << " of " << n_tokens;
    }
  }
}

}  // namespace

TEST(Repack, PackedGroupsStayCloseToOriginalSize) {
  for (TensorType type : kTypes) {
    const RepackKernels* k = repack_kernels(type, CpuPath::Avx512);
    ASSERT_NE(k, nullptr) << type_name(type);
    for (int64_t cols : {256, 4096}) {
      const double original = double(*row_bytes(type, cols)) * kRepackRows;
      EXPECT_GE(double(k->group_bytes(cols)), original) << type_name(type);
      // The decoded signs of IQ2_XXS are the largest overhead: +6.1%.
      EXPECT_LE(double(k->group_bytes(cols)), 1.07 * original) << type_name(type);
    }
  }
  EXPECT_EQ(repack_kernels(TensorType::Q4_K, CpuPath::Scalar), nullptr);
  EXPECT_EQ(repack_kernels(TensorType::F32, CpuPath::Avx512), nullptr);
}

// The packers of the lattice i-quants take whole 256-column blocks only (a model file's tensor of
// any other width must fail to load rather than be read past its rows).
TEST(Repack, LatticeTypesRejectPartialBlocks) {
  uint8_t dummy[64] = {};
  for (TensorType type : {TensorType::IQ2_XXS, TensorType::IQ2_XS, TensorType::IQ2_S, TensorType::IQ3_XXS, TensorType::IQ3_S}) {
    const RepackKernels* k = repack_kernels(type, CpuPath::Avx512);
    ASSERT_NE(k, nullptr) << type_name(type);
    for (int64_t cols : {0, -256, 100, 384}) {
      EXPECT_THROW(k->group_bytes(cols), Error) << type_name(type) << " " << cols;
      EXPECT_THROW(k->pack(dummy, 0, cols, dummy), Error) << type_name(type) << " " << cols;
    }
  }
}

TEST(Repack, MatmulMatchesScalarKernel) {
  REQUIRE_AVX512();
  std::mt19937 rng(11);
  ThreadPool pool(2);
  struct Shape { int64_t rows, cols; };
  for (TensorType type : kTypes) {
    for (Shape s : {Shape{16, 256}, Shape{32, 2048}, Shape{53, 768}, Shape{16, 8192}}) {
      const Quantized q = random_weights(type, s.rows, s.cols, rng);
      WeightView w = q.view();
      WeightView* views[] = {&w};
      const auto owner = pack_weights(views, CpuPath::Avx512, &pool);
      ASSERT_NE(w.packed, nullptr);
      const int64_t max_tokens = s.cols >= 8192 ? 9 : 2 * kMaxTileTokens + 3;
      const std::vector<float> x = random_activations(max_tokens, s.cols, rng);
      for (int64_t n = 1; n <= max_tokens; ++n) check_against_scalar(q, w, x, n, n % 2 ? &pool : nullptr);
    }
  }
}

// BF16 rows of any length: the packed copy and the converted activations are padded to the
// tile's 64-column step with zeros; rows past the last whole group (37 = 2 * 16 + 5) take the row
// kernel on the F32 activations while the groups read the BF16 ones.
TEST(Repack, Bf16AnyRowLength) {
  EXPECT_EQ(repack_kernels(TensorType::BF16, CpuPath::Avx512) != nullptr, has_avx512_bf16());
  if (!has_avx512_bf16() || active_cpu_path() != CpuPath::Avx512) GTEST_SKIP() << "no AVX-512 BF16: the BF16 tile cannot run";
  std::mt19937 rng(13);
  ThreadPool pool(2);
  for (int64_t cols : {1, 2, 37, 64, 100, 130}) {
    const Quantized q = random_weights(TensorType::BF16, 37, cols, rng);
    WeightView w = q.view();
    WeightView* views[] = {&w};
    const auto owner = pack_weights(views, CpuPath::Avx512, nullptr);
    ASSERT_NE(w.packed, nullptr);
    const int64_t max_tokens = 2 * kMaxTileTokens + 1;
    const std::vector<float> x = random_activations(max_tokens, cols, rng);
    for (int64_t n = 1; n <= max_tokens; ++n) check_against_scalar(q, w, x, n, n % 2 ? &pool : nullptr);
  }
}

// The BF16 tile's activation pre-pass: each value rounded as fp16::float_to_bf16 rounds it (nearest
// even, NaN kept), zeros up to the padded length, nothing written past it.
TEST(Repack, Bf16ActivationPrePass) {
  const RepackKernels* k = repack_kernels(TensorType::BF16, CpuPath::Avx512);
  if (!k) GTEST_SKIP() << "no AVX-512 BF16: the pre-pass cannot run";
  ASSERT_NE(k->act_from_float, nullptr);
  std::mt19937 rng(17);
  std::normal_distribution<float> g(0.0f, 100.0f);
  for (int64_t cols : {1, 2, 3, 15, 16, 17, 31, 33, 63, 64, 65, 127, 130, 2048}) {
    const size_t bytes = k->act_row_bytes(cols);
    EXPECT_EQ(bytes, static_cast<size_t>((cols + 63) / 64 * 64 * 2)) << cols;
    std::vector<float> x(static_cast<size_t>(cols));
    for (auto& v : x) v = g(rng);
    x[0] = NAN;
    if (cols > 2) x[2] = INFINITY;
    if (cols > 1) x[cols - 1] = std::bit_cast<float>(0x3f808000u);  // exactly between two BF16 values
    constexpr uint8_t kGuard = 0xa5;
    std::vector<uint8_t> out(bytes + 64, kGuard);
    k->act_from_float(x.data(), out.data(), cols);
    for (int64_t c = 0; c < cols; ++c) {
      uint16_t h;
      std::memcpy(&h, out.data() + 2 * c, 2);
      EXPECT_EQ(h, fp16::float_to_bf16(x[c])) << "cols " << cols << " column " << c;
    }
    for (size_t i = 2 * static_cast<size_t>(cols); i < bytes; ++i) ASSERT_EQ(out[i], 0) << "cols " << cols << " byte " << i;
    for (size_t i = bytes; i < out.size(); ++i) ASSERT_EQ(out[i], kGuard) << "cols " << cols << " wrote past the row";
  }
}

// The packed copy is what matmul reads: once packed, the original rows can change without
// changing the result (rows in the tail group excepted, which keep the row kernels).
TEST(Repack, MatmulReadsThePackedCopy) {
  REQUIRE_AVX512();
  std::mt19937 rng(5);
  for (TensorType type : kTypes) {
    Quantized q = random_weights(type, 32, 512, rng);
    const Quantized original = q;
    WeightView w = q.view();
    WeightView* views[] = {&w};
    const auto owner = pack_weights(views, CpuPath::Avx512, nullptr);
    const Quantized other = random_weights(type, 32, 512, rng);
    q.data = other.data;  // same size: the view's pointer stays valid
    w.data = q.data.data();
    const std::vector<float> x = random_activations(3, 512, rng);
    check_against_scalar(original, w, x, 3, nullptr);
  }
}

TEST(Repack, LowerPathIgnoresThePackedCopy) {
  REQUIRE_AVX512();
  std::mt19937 rng(7);
  const Quantized q = random_weights(TensorType::Q4_K, 48, 512, rng);
  WeightView w = q.view();
  WeightView* views[] = {&w};
  const auto owner = pack_weights(views, CpuPath::Avx512, nullptr);
  std::memset(const_cast<void*>(w.packed), 0xff, repack_kernels(TensorType::Q4_K, CpuPath::Avx512)->group_bytes(512));
  force_cpu_path(CpuPath::Avx2);
  const std::vector<float> x = random_activations(2, 512, rng);
  check_against_scalar(q, w, x, 2, nullptr);
  force_cpu_path(std::nullopt);
}

TEST(Repack, OnlyWholeGroupsOfKnownTypesArePacked) {
  std::mt19937 rng(9);
  const Quantized few = random_weights(TensorType::Q4_K, kRepackRows - 1, 256, rng);
  const Quantized f16 = random_weights(TensorType::F16, 32, 256, rng);  // no packed layout
  WeightView a = few.view(), b = f16.view(), empty;
  WeightView* views[] = {&a, &b, &empty};
  EXPECT_EQ(pack_weights(views, CpuPath::Avx512, nullptr), nullptr);
  EXPECT_EQ(a.packed, nullptr);
  EXPECT_EQ(b.packed, nullptr);
  EXPECT_EQ(empty.packed, nullptr);
}

// MXFP4's exponent byte spans 2^-128 (e = 0 and 1 give float subnormals) to 2^127; random blocks
// keep it moderate, so the ends get rows of their own here. Results of the tiny rows are far
// below check_against_scalar's absolute floor, so the check is relative to each row's magnitude.
TEST(Repack, Mxfp4ExtremeExponents) {
  REQUIRE_AVX512();
  std::mt19937 rng(17);
  Quantized q = random_weights(TensorType::MXFP4, 16, 256, rng);
  const uint8_t exponents[] = {0, 1, 2, 3, 64, 127, 128, 180};
  for (int64_t r = 0; r < q.rows; ++r)
    for (int64_t b = 0; b < q.cols / 32; ++b)
      q.data[static_cast<size_t>(r) * q.stride + static_cast<size_t>(b) * 17] = exponents[r % 8];  // one per row: a mixed row's sum is its largest block's
  WeightView w = q.view();
  WeightView* views[] = {&w};
  const auto owner = pack_weights(views, CpuPath::Avx512, nullptr);
  ASSERT_NE(w.packed, nullptr);
  const std::vector<float> x = random_activations(1, q.cols, rng);
  std::vector<float> y(static_cast<size_t>(q.rows));
  matmul(w, x.data(), 1, y.data(), nullptr);

  const TypeTraits& tr = type_traits(TensorType::MXFP4);
  std::vector<uint8_t> act(*row_bytes(TensorType::Q8_0, q.cols));
  type_traits(TensorType::Q8_0).from_float(x.data(), act.data(), q.cols);
  std::vector<float> af(static_cast<size_t>(q.cols)), wf(static_cast<size_t>(q.cols));
  type_traits(TensorType::Q8_0).to_float(act.data(), af.data(), q.cols);
  for (int64_t r = 0; r < q.rows; ++r) {
    const uint8_t* row = q.data.data() + static_cast<size_t>(r) * q.stride;
    const double ref = vec_dot_kernel(tr, CpuPath::Scalar)(q.cols, row, act.data());
    tr.to_float(row, wf.data(), q.cols);
    double mag = 0;
    for (int64_t k = 0; k < q.cols; ++k) mag += std::fabs(double(wf[k]) * af[k]);
    ASSERT_GT(mag, 0) << "row " << r;
    ASSERT_NEAR(y[static_cast<size_t>(r)], ref, 1e-5 * mag) << "row " << r;
  }
}
