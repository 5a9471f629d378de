// Block (online-softmax) attention against a plain two-pass softmax computed here in double over
// the same stored K/V rows, on random data: every cache type, GQA heads, windows, soft-capping,
// queries with different ranges in one call, and a long (2k position) context.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "airlock/error.h"
#include "model/attention.h"
#include "model/kv_cache.h"

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

void check(const Case& c) {
  std::mt19937 rng(1234);
  const Hparams hp = shape_of(2, c.n_head_kv, c.dk, c.dv);
  KvCache kv(hp, c.n_pos, 2, c.type);
  fill(kv, rng, c.n_pos, 1);
  const AttentionShape sh{c.dk, c.dv, 1.0f / std::sqrt(static_cast<float>(c.dk)), c.softcap};
  // Ranges: the whole context, a causal prefix ending mid-block, a sliding window, one key, empty.
  const std::vector<std::pair<int64_t, int64_t>> ranges = {
      {0, c.n_pos}, {0, c.n_pos / 2 + 3}, {c.n_pos / 3, c.n_pos - 5}, {c.n_pos - 1, c.n_pos}, {4, 4}};
  std::normal_distribution<float> dist(0.0f, 2.0f);
  std::vector<std::vector<float>> qs, outs;
  std::vector<AttentionQuery> queries;
  for (size_t i = 0; i < ranges.size(); ++i) {
    qs.emplace_back(static_cast<size_t>(c.dk));
    for (float& x : qs.back()) x = dist(rng);
    outs.emplace_back(static_cast<size_t>(c.dv), 7.0f);
  }
  for (size_t i = 0; i < ranges.size(); ++i) queries.push_back({qs[i].data(), outs[i].data(), ranges[i].first, ranges[i].second});
  BlockAttention att;
  for (int64_t g = 0; g < c.n_head_kv; ++g) {
    att.run(kv, 1, 1, g, sh, queries);
    for (size_t i = 0; i < ranges.size(); ++i) {
      const auto expect = naive(kv, 1, 1, g, sh, qs[i].data(), ranges[i].first, ranges[i].second);
      for (int64_t d = 0; d < c.dv; ++d)
        ASSERT_NEAR(outs[i][static_cast<size_t>(d)], expect[static_cast<size_t>(d)], 2e-5)
            << type_name(c.type) << " head " << g << " range " << ranges[i].first << ".." << ranges[i].second;
    }
  }
}

TEST(BlockAttention, MatchesNaiveF32) { check({TensorType::F32, 2, 16, 8, 150, 0.0f}); }
TEST(BlockAttention, MatchesNaiveF16WithSoftcap) { check({TensorType::F16, 3, 32, 32, 200, 5.0f}); }
TEST(BlockAttention, MatchesNaiveQ8_0) { check({TensorType::Q8_0, 2, 32, 32, 130, 0.0f}); }
// Head slices that do not start on a Q8_0 block boundary (head size 8, as stories260K has).
TEST(BlockAttention, MatchesNaiveQ8_0SmallHeads) { check({TensorType::Q8_0, 4, 8, 8, 70, 0.0f}); }
TEST(BlockAttention, MatchesNaiveLongContext) { check({TensorType::F16, 2, 64, 64, 2048, 0.0f}); }

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
