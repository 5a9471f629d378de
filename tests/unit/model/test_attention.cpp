// Tiled (online-softmax) attention against a plain two-pass softmax computed here in double over
// the same stored K/V rows, on random data, on every CPU path: every cache type, GQA heads,
// windows, soft-capping, queries with different ranges in one call (a causal prompt chunk among
// them), lengths that are no multiple of the block, a long (2k position) context, and split-K
// slices merged.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "airlock/error.h"
#include "model/attention.h"
#include "model/kv_cache.h"
#include "tensor/cpu_path.h"

namespace airlock::model {
namespace {

Hparams shape_of(int64_t n_layer, int64_t n_head_kv, int64_t dk, int64_t dv) {
  Hparams hp;
  hp.n_layer = n_layer;
  hp.n_head_kv = n_head_kv;
  hp.head_dim_k = dk;
  hp.head_dim_v = dv;
  return hp;
}

// Random rows at every position of both layers; the reference reads back what was stored (in the
// cache's own precision).
void fill(KvCache& kv, std::mt19937& rng, int64_t n_pos, int seq) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> k(static_cast<size_t>(kv.n_embd_k())), v(static_cast<size_t>(kv.n_embd_v()));
  for (int64_t l = 0; l < 2; ++l)
    for (int64_t p = 0; p < n_pos; ++p) {
      for (float& x : k) x = dist(rng);
      for (float& x : v) x = dist(rng);
      kv.store(l, seq, p, k.data(), v.data());
    }
}

std::vector<float> stored_row(const KvCache& kv, const uint8_t* row, int64_t width) {
  std::vector<float> out(static_cast<size_t>(width));
  type_traits(kv.type()).to_float(row, out.data(), width);
  return out;
}

std::vector<double> naive(const KvCache& kv, int64_t layer, int seq, int64_t g, const AttentionShape& sh,
                          const float* q, int64_t lo, int64_t hi) {
  std::vector<double> s;
  double mx = -INFINITY;
  for (int64_t j = lo; j < hi; ++j) {
    const auto k = stored_row(kv, kv.k_row(layer, seq, j), kv.n_embd_k());
    double dot = 0;
    for (int64_t d = 0; d < sh.head_dim_k; ++d) dot += static_cast<double>(q[d]) * k[static_cast<size_t>(g * sh.head_dim_k + d)];
    dot *= sh.scale;
    if (sh.softcap > 0) dot = sh.softcap * std::tanh(dot / sh.softcap);
    s.push_back(dot);
    mx = std::max(mx, dot);
  }
  double z = 0;
  for (double& x : s) z += (x = std::exp(x - mx));
  std::vector<double> out(static_cast<size_t>(sh.head_dim_v), 0.0);
  for (int64_t j = lo; j < hi; ++j) {
    const auto v = stored_row(kv, kv.v_row(layer, seq, j), kv.n_embd_v());
    for (int64_t d = 0; d < sh.head_dim_v; ++d)
      out[static_cast<size_t>(d)] += s[static_cast<size_t>(j - lo)] / z * v[static_cast<size_t>(g * sh.head_dim_v + d)];
  }
  return out;
}

struct Case {
  TensorType type;
  int64_t n_head_kv, dk, dv, n_pos;
  float softcap;
};

// Ranges: the whole context, a causal prefix ending mid-block, a sliding window, one key, empty,
// then a causal chunk of 37 tokens (a prompt task: many queries per key block, ending at every
// offset of a block) and the same chunk under a 50-key window.
std::vector<std::pair<int64_t, int64_t>> ranges_for(int64_t n_pos) {
  std::vector<std::pair<int64_t, int64_t>> r = {
      {0, n_pos}, {0, n_pos / 2 + 3}, {n_pos / 3, n_pos - 5}, {n_pos - 1, n_pos}, {4, 4}};
  for (int64_t t = 0; t < 37; ++t) r.push_back({0, n_pos - 36 + t});
  for (int64_t t = 0; t < 37; ++t) r.push_back({std::max<int64_t>(0, n_pos - 36 + t - 50), n_pos - 36 + t});
  return r;
}

// Every CPU path this machine runs: the scalar tile kernels and the AVX-512 ones.
std::vector<CpuPath> paths() {
  std::vector<CpuPath> p = {CpuPath::Scalar};
  if (detected_cpu_path() == CpuPath::Avx512) p.push_back(CpuPath::Avx512);
  return p;
}

void check(const Case& c) {
  std::mt19937 rng(1234);
  const Hparams hp = shape_of(2, c.n_head_kv, c.dk, c.dv);
  KvCache kv(hp, c.n_pos, 2, c.type);
  fill(kv, rng, c.n_pos, 1);
  const AttentionShape sh{c.dk, c.dv, 1.0f / std::sqrt(static_cast<float>(c.dk)), c.softcap};
  const auto ranges = ranges_for(c.n_pos);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  std::vector<std::vector<float>> qs, outs;
  std::vector<AttentionQuery> queries;
  for (size_t i = 0; i < ranges.size(); ++i) {
    qs.emplace_back(static_cast<size_t>(c.dk));
    for (float& x : qs.back()) x = dist(rng);
    outs.emplace_back(static_cast<size_t>(c.dv), 7.0f);
  }
  for (size_t i = 0; i < ranges.size(); ++i) queries.push_back({qs[i].data(), outs[i].data(), ranges[i].first, ranges[i].second});
  for (CpuPath path : paths()) {
    force_cpu_path(path);
    BlockAttention att;
    for (int64_t g = 0; g < c.n_head_kv; ++g) {
      att.run(kv, 1, 1, g, sh, queries);
      for (size_t i = 0; i < ranges.size(); ++i) {
        const auto expect = naive(kv, 1, 1, g, sh, qs[i].data(), ranges[i].first, ranges[i].second);
        for (int64_t d = 0; d < c.dv; ++d)
          ASSERT_NEAR(outs[i][static_cast<size_t>(d)], expect[static_cast<size_t>(d)], 2e-5)
              << type_name(c.type) << " " << cpu_path_name(path) << " head " << g << " range " << ranges[i].first
              << ".." << ranges[i].second;
      }
    }
  }
  force_cpu_path(std::nullopt);
}

// Split-K: the keys cut into slices (block-aligned or not, one holding no key of some queries),
// each run alone, then merged, give the whole softmax.
void check_split(const Case& c, const std::vector<int64_t>& cuts) {
  std::mt19937 rng(99);
  const Hparams hp = shape_of(2, c.n_head_kv, c.dk, c.dv);
  KvCache kv(hp, c.n_pos, 1, c.type);
  fill(kv, rng, c.n_pos, 0);
  const AttentionShape sh{c.dk, c.dv, 1.0f / std::sqrt(static_cast<float>(c.dk)), c.softcap};
  const auto ranges = ranges_for(c.n_pos);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  const size_t nq = ranges.size(), n_parts = cuts.size() - 1;
  std::vector<float> qs(nq * static_cast<size_t>(c.dk)), parts(n_parts * nq * static_cast<size_t>(c.dv), 7.0f);
  for (float& x : qs) x = dist(rng);
  std::vector<SoftmaxState> states(n_parts * nq);
  for (CpuPath path : paths()) {
    force_cpu_path(path);
    BlockAttention att;
    const int64_t g = c.n_head_kv - 1;
    for (size_t p = 0; p < n_parts; ++p) {
      std::vector<AttentionQuery> queries;
      for (size_t i = 0; i < nq; ++i)
        queries.push_back({qs.data() + i * static_cast<size_t>(c.dk), parts.data() + (p * nq + i) * static_cast<size_t>(c.dv),
                           ranges[i].first, ranges[i].second});
      att.run_part(kv, 1, 0, g, sh, queries, cuts[p], cuts[p + 1], std::span(states).subspan(p * nq, nq));
    }
    for (size_t i = 0; i < nq; ++i) {
      std::vector<const float*> outs;
      std::vector<SoftmaxState> st;
      for (size_t p = 0; p < n_parts; ++p) {
        outs.push_back(parts.data() + (p * nq + i) * static_cast<size_t>(c.dv));
        st.push_back(states[p * nq + i]);
      }
      std::vector<float> merged(static_cast<size_t>(c.dv), 7.0f);
      merge_parts(outs, st, c.dv, merged.data());
      const auto expect = naive(kv, 1, 0, g, sh, qs.data() + i * static_cast<size_t>(c.dk), ranges[i].first, ranges[i].second);
      for (int64_t d = 0; d < c.dv; ++d)
        ASSERT_NEAR(merged[static_cast<size_t>(d)], expect[static_cast<size_t>(d)], 2e-5)
            << cpu_path_name(path) << " range " << ranges[i].first << ".." << ranges[i].second;
    }
  }
  force_cpu_path(std::nullopt);
}

TEST(BlockAttention, MatchesNaiveF32) { check({TensorType::F32, 2, 16, 8, 150, 0.0f}); }
TEST(BlockAttention, MatchesNaiveF16WithSoftcap) { check({TensorType::F16, 3, 32, 32, 200, 5.0f}); }
TEST(BlockAttention, MatchesNaiveQ8_0) { check({TensorType::Q8_0, 2, 32, 32, 130, 0.0f}); }
// Head slices that do not start on a Q8_0 block boundary (head size 8, as stories260K has).
TEST(BlockAttention, MatchesNaiveQ8_0SmallHeads) { check({TensorType::Q8_0, 4, 8, 8, 70, 0.0f}); }
TEST(BlockAttention, MatchesNaiveLongContext) { check({TensorType::F16, 2, 64, 64, 2048, 0.0f}); }
// Head widths that are no multiple of 16 and K wider than V.
TEST(BlockAttention, MatchesNaiveOddHeadWidths) { check({TensorType::F16, 2, 80, 48, 333, 0.0f}); }
TEST(BlockAttention, MatchesNaiveF32WideHeads) { check({TensorType::F32, 1, 160, 160, 97, 30.0f}); }

TEST(BlockAttention, SplitKeysMergeToTheWholeSoftmax) {
  check_split({TensorType::F16, 2, 64, 64, 700, 0.0f}, {0, 128, 300, 333, 640, 700});
  check_split({TensorType::Q8_0, 2, 32, 32, 300, 4.0f}, {0, 256, 1000});
}

TEST(BlockAttention, MergeOfPartsWithoutKeysIsZero) {
  const std::vector<float> a(4, 3.0f);
  std::vector<const float*> outs = {a.data(), a.data()};
  std::vector<SoftmaxState> st = {{-INFINITY, 0.0f}, {-INFINITY, 0.0f}};
  std::vector<float> out(4, 7.0f);
  merge_parts(outs, st, 4, out.data());
  EXPECT_EQ(out, std::vector<float>(4, 0.0f));
}

TEST(KvCache, F16AndQ8_0ShrinkTheCache) {
  const Hparams hp = shape_of(4, 2, 64, 64);
  const size_t f32 = KvCache(hp, 256, 1, TensorType::F32).bytes();
  EXPECT_EQ(f32, size_t{4} * 256 * 2 * 128 * 4);
  EXPECT_EQ(KvCache(hp, 256, 1, TensorType::F16).bytes(), f32 / 2);
  EXPECT_EQ(KvCache(hp, 256, 1, TensorType::Q8_0).bytes(), f32 / 128 * 34);  // 34 bytes per 32
}

TEST(KvCache, RejectsTypesItCannotStore) {
  const Hparams hp = shape_of(1, 1, 40, 40);
  EXPECT_THROW(KvCache(hp, 8, 1, TensorType::Q8_0), Error);  // 40 is no whole number of blocks
  EXPECT_THROW(KvCache(hp, 8, 1, TensorType::I32), Error);
}

}  // namespace
}  // namespace airlock::model
