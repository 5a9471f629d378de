// The tiled-attention kernels: the AVX-512 versions against the scalar loops (which spell out the
// definitions in attention_tile.h) on random data, for every query count of a register tile and
// its remainders, key blocks shorter than kAttnBlock, and head widths that are no multiple of 16
// (8: stories260K; 80, 96: Phi) or span more than one 64-column pass (160). Entries outside the
// written range must stay untouched.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tensor/attention_tile.h"
#include "tensor/fp16.h"

using namespace airlock;

namespace {

#define REQUIRE_AVX512()                                                                                         \
  do {                                                                                                           \
    if (detected_cpu_path() != CpuPath::Avx512) GTEST_SKIP() << "!!! no AVX-512: attention_tile_avx512 NOT tested !!!"; \
  } while (0)

const std::vector<int64_t> kWidths = {8, 16, 64, 80, 96, 160};
const std::vector<int64_t> kRows = {1, 15, 17, 63, 64};

std::vector<float> random_floats(std::mt19937& rng, size_t n) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<uint16_t> to_halves(const std::vector<float>& v) {
  std::vector<uint16_t> h(v.size());
  for (size_t i = 0; i < v.size(); ++i) h[i] = fp16::float_to_half(v[i]);
  return h;
}

TEST(AttentionTile, TransposeMatchesScalar) {
  REQUIRE_AVX512();
  std::mt19937 rng(11);
  for (int64_t width : kWidths)
    for (int64_t rows : kRows) {
      const int64_t stride = width + 24;  // rows of a wider KV row, as a head slice is
      const auto x = random_floats(rng, static_cast<size_t>(rows * stride));
      const auto h = to_halves(x);
      const size_t n = static_cast<size_t>(width * kAttnBlock);
      std::vector<float> a(n + 1, 9.0f), b(n + 1, 9.0f), c(n + 1, 9.0f), d(n + 1, 9.0f);
      kernels::transpose_keys_avx512(rows, width, x.data(), stride, a.data());
      kernels::transpose_keys_scalar(rows, width, x.data(), stride, b.data());
      kernels::transpose_keys_f16_avx512(rows, width, h.data(), stride, c.data());
      kernels::transpose_keys_f16_scalar(rows, width, h.data(), stride, d.data());
      ASSERT_EQ(a, b) << "width " << width << " rows " << rows;
      ASSERT_EQ(c, d) << "f16, width " << width << " rows " << rows;
      ASSERT_EQ(b[static_cast<size_t>(kAttnBlock + 1)], rows > 1 ? x[static_cast<size_t>(stride + 1)] : 0.0f);
    }
}

TEST(AttentionTile, ScoresMatchScalar) {
  REQUIRE_AVX512();
  std::mt19937 rng(12);
  for (int64_t width : kWidths)
    for (int64_t nq = 1; nq <= 9; ++nq) {
      const auto kt = random_floats(rng, static_cast<size_t>(width * kAttnBlock));
      const auto qs = random_floats(rng, static_cast<size_t>(nq * width));
      std::vector<const float*> q;
      for (int64_t i = 0; i < nq; ++i) q.push_back(qs.data() + i * width);
      const size_t n = static_cast<size_t>(nq * kAttnBlock);
      std::vector<float> a(n + 1, 9.0f), b(n + 1, 9.0f);
      kernels::score_tile_avx512(nq, width, q.data(), kt.data(), 0.125f, a.data());
      kernels::score_tile_scalar(nq, width, q.data(), kt.data(), 0.125f, b.data());
      for (size_t i = 0; i < n; ++i) ASSERT_NEAR(a[i], b[i], 1e-5f) << "width " << width << " nq " << nq << " at " << i;
      ASSERT_EQ(a[n], 9.0f);
    }
}

TEST(AttentionTile, AccumulateMatchesScalar) {
  REQUIRE_AVX512();
  std::mt19937 rng(13);
  for (int64_t width : kWidths)
    for (int64_t rows : kRows)
      for (int64_t nq = 1; nq <= 9; nq += 2) {
        const int64_t stride = width + 8;
        const auto v = random_floats(rng, static_cast<size_t>(rows * stride));
        const auto h = to_halves(v);
        const auto p = random_floats(rng, static_cast<size_t>(nq * kAttnBlock));
        const auto start = random_floats(rng, static_cast<size_t>(nq * (width + 1)));
        std::vector<float> outs[4] = {start, start, start, start};
        std::vector<float*> ptrs[4];
        for (int k = 0; k < 4; ++k)
          for (int64_t i = 0; i < nq; ++i) ptrs[k].push_back(outs[k].data() + i * (width + 1));
        kernels::accumulate_tile_avx512(nq, width, rows, p.data(), v.data(), stride, ptrs[0].data());
        kernels::accumulate_tile_scalar(nq, width, rows, p.data(), v.data(), stride, ptrs[1].data());
        kernels::accumulate_tile_f16_avx512(nq, width, rows, p.data(), h.data(), stride, ptrs[2].data());
        kernels::accumulate_tile_f16_scalar(nq, width, rows, p.data(), h.data(), stride, ptrs[3].data());
        for (size_t i = 0; i < start.size(); ++i) {
          ASSERT_NEAR(outs[0][i], outs[1][i], 5e-5f) << "width " << width << " rows " << rows << " nq " << nq;
          ASSERT_NEAR(outs[2][i], outs[3][i], 5e-5f) << "f16, width " << width << " rows " << rows << " nq " << nq;
          if (i % static_cast<size_t>(width + 1) == static_cast<size_t>(width)) {
            ASSERT_EQ(outs[0][i], start[i]);
          }
        }
      }
}

}  // namespace
