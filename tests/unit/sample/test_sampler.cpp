// The truncation steps against hand-computed distributions, greedy, determinism, and a
// chi-square check that draws follow the softmax.
#include <gtest/gtest.h>

#include <airlock/error.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>

#include "sample/sampler.h"

using namespace airlock;

namespace {

// Every step off, temperature 1: the sampler draws from the plain softmax.
SamplingParams plain() {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.typical_p = 1.0f;
  p.repeat_penalty = 1.0f;
  p.has_seed = true;
  p.seed = 42;
  return p;
}

// Logits whose softmax is exactly these probabilities.
std::vector<float> logits_of(const std::vector<double>& probs) {
  std::vector<float> l;
  for (double p : probs) l.push_back(static_cast<float>(std::log(p)));
  return l;
}

std::set<int32_t> kept(const Sampler& s) {
  std::set<int32_t> ids;
  for (const auto& c : s.candidates()) ids.insert(c.id);
  return ids;
}

double prob_of(const Sampler& s, int32_t id) {
  for (const auto& c : s.candidates())
    if (c.id == id) return c.p;
  return 0;
}

const std::vector<double> kFive = {0.5, 0.2, 0.15, 0.1, 0.05};

}  // namespace

TEST(Sampler, GreedyIsArgmaxOverLargeVocab) {
  std::mt19937 gen(7);
  std::normal_distribution<float> nd(0, 3);
  std::vector<float> logits(151936);
  for (auto& l : logits) l = nd(gen);
  logits[123456] = 50.0f;
  SamplingParams p = plain();
  p.temperature = 0.0f;
  Sampler s(p, static_cast<int32_t>(logits.size()));
  EXPECT_EQ(s.sample(logits.data()), 123456);
  logits[123456] = 0.0f;
  const auto expect = std::max_element(logits.begin(), logits.end()) - logits.begin();
  EXPECT_EQ(s.sample(logits.data()), expect);
}

TEST(Sampler, GreedyTieGoesToLowestId) {
  std::vector<float> logits = {1, 3, 2, 3};
  SamplingParams p = plain();
  p.temperature = -1.0f;
  Sampler s(p, 4);
  EXPECT_EQ(s.sample(logits.data()), 1);
}

TEST(Sampler, TopKKeepsTheKBestWithRenormalisedProbabilities) {
  auto logits = logits_of(kFive);
  SamplingParams p = plain();
  p.top_k = 3;
  Sampler s(p, 5);
  s.sample(logits.data());
  EXPECT_EQ(kept(s), (std::set<int32_t>{0, 1, 2}));
  EXPECT_NEAR(prob_of(s, 0), 0.5 / 0.85, 1e-6);
  EXPECT_NEAR(prob_of(s, 2), 0.15 / 0.85, 1e-6);
}

TEST(Sampler, TopPKeepsSmallestSetReachingP) {
  auto logits = logits_of(kFive);
  SamplingParams p = plain();
  // cumulative: 0.5, 0.7, 0.85, 0.95, 1.0
  for (auto [top_p, n] : std::vector<std::pair<float, size_t>>{
           {0.4f, 1}, {0.69f, 2}, {0.71f, 3}, {0.9f, 4}, {0.99f, 5}}) {
    p.top_p = top_p;
    Sampler s(p, 5);
    s.sample(logits.data());
    EXPECT_EQ(s.candidates().size(), n) << "top_p " << top_p;
    std::set<int32_t> expect;
    for (size_t i = 0; i < n; ++i) expect.insert(static_cast<int32_t>(i));
    EXPECT_EQ(kept(s), expect) << "top_p " << top_p;
  }
}

TEST(Sampler, MinPKeepsTokensAtLeastPTimesTheBest) {
  auto logits = logits_of(kFive);
  SamplingParams p = plain();
  p.min_p = 0.35f;  // threshold 0.175
  Sampler a(p, 5);
  a.sample(logits.data());
  EXPECT_EQ(kept(a), (std::set<int32_t>{0, 1}));
  EXPECT_NEAR(prob_of(a, 1), 0.2 / 0.7, 1e-6);
  p.min_p = 0.15f;  // threshold 0.075
  Sampler b(p, 5);
  b.sample(logits.data());
  EXPECT_EQ(kept(b), (std::set<int32_t>{0, 1, 2, 3}));
}

TEST(Sampler, TypicalKeepsTokensNearestTheEntropy) {
  // H = 1.3331 nats; |surprisal - H| = 0.640, 0.276, 0.564, 0.969, 1.663, so the order is
  // tokens 1, 2, 0, 3, 4 with cumulative mass 0.2, 0.35, 0.85, 0.95, 1.
  auto logits = logits_of(kFive);
  SamplingParams p = plain();
  p.typical_p = 0.3f;
  Sampler a(p, 5);
  a.sample(logits.data());
  EXPECT_EQ(kept(a), (std::set<int32_t>{1, 2}));
  p.typical_p = 0.5f;
  Sampler b(p, 5);
  b.sample(logits.data());
  EXPECT_EQ(kept(b), (std::set<int32_t>{0, 1, 2}));
}

TEST(Sampler, TemperatureScalesLogits) {
  std::vector<float> logits = {1.0f, 2.0f, 0.5f};
  SamplingParams p = plain();
  p.temperature = 0.5f;
  Sampler s(p, 3);
  s.sample(logits.data());
  const double z = std::exp(2.0) + std::exp(4.0) + std::exp(1.0);
  EXPECT_NEAR(prob_of(s, 0), std::exp(2.0) / z, 1e-6);
  EXPECT_NEAR(prob_of(s, 1), std::exp(4.0) / z, 1e-6);
  EXPECT_NEAR(prob_of(s, 2), std::exp(1.0) / z, 1e-6);
}

TEST(Sampler, TopPOverWholeLargeVocabMatchesAFullSort) {
  std::mt19937 gen(11);
  std::normal_distribution<float> nd(0, 2.5f);
  std::vector<float> logits(151936);
  for (auto& l : logits) l = nd(gen);
  for (float top_p : {0.5f, 0.9f, 0.99f}) {
    SamplingParams p = plain();
    p.top_p = top_p;
    Sampler s(p, static_cast<int32_t>(logits.size()));
    s.sample(logits.data());
    // Brute force: sort every token, accumulate softmax mass in double until it reaches top_p.
    std::vector<int32_t> order(logits.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
    double z = 0;
    for (float l : logits) z += std::exp(static_cast<double>(l) - logits[order[0]]);
    std::set<int32_t> expect;
    double cum = 0;
    for (int32_t id : order) {
      expect.insert(id);
      cum += std::exp(static_cast<double>(logits[id]) - logits[order[0]]) / z;
      if (cum >= top_p) break;
    }
    EXPECT_GT(expect.size(), 256u);  // large enough to need more than the first sorted prefix
    EXPECT_EQ(kept(s), expect) << "top_p " << top_p;
  }
}

TEST(Sampler, TopPRunsAfterTopKOnRenormalisedMass) {
  // After top_k = 2 the masses are 0.714, 0.286: top_p = 0.7 keeps one token, whereas on the
  // full distribution it would keep two.
  auto logits = logits_of(kFive);
  SamplingParams p = plain();
  p.top_k = 2;
  p.top_p = 0.7f;
  Sampler s(p, 5);
  s.sample(logits.data());
  EXPECT_EQ(kept(s), (std::set<int32_t>{0}));
}

TEST(Sampler, SameSeedSameTokens) {
  std::vector<float> logits(1000);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(std::sin(i * 0.37) * 2);
  SamplingParams p;  // the defaults, with penalties and truncation
  p.has_seed = true;
  p.seed = 1234;
  auto run = [&](Sampler& s) {
    std::vector<int32_t> out;
    for (int i = 0; i < 200; ++i) {
      out.push_back(s.sample(logits.data()));
      s.accept(out.back());
    }
    return out;
  };
  Sampler a(p, 1000), b(p, 1000);
  const auto first = run(a);
  EXPECT_EQ(first, run(b));
  a.reset();
  EXPECT_EQ(first, run(a));
  p.seed = 1235;
  Sampler c(p, 1000);
  EXPECT_NE(first, run(c));
}

TEST(Sampler, DrawFrequenciesMatchSoftmax) {
  // Pearson chi-square over 10 categories (9 degrees of freedom): 27.88 is the 0.999 quantile,
  // so a correct sampler fails this with probability 1e-3 for a random seed; the seed is fixed.
  const std::vector<float> logits = {0.0f, 1.0f, 2.0f, -1.0f, 0.5f, 1.5f, -0.5f, 0.2f, 2.2f, 1.1f};
  const int n = 100000;
  for (float temperature : {1.0f, 0.7f}) {
    SamplingParams p = plain();
    p.temperature = temperature;
    Sampler s(p, 10);
    std::vector<int> counts(10);
    for (int i = 0; i < n; ++i) ++counts[s.sample(logits.data())];
    double z = 0;
    for (float l : logits) z += std::exp(l / temperature);
    double chi2 = 0;
    for (int i = 0; i < 10; ++i) {
      const double expected = n * std::exp(logits[i] / temperature) / z;
      chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
    }
    EXPECT_LT(chi2, 27.88) << "temperature " << temperature;
  }
}

TEST(Sampler, TopKDrawsOnlyFromTheKBest) {
  std::vector<float> logits(151936, 0.0f);
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> ud(-5, 5);
  for (auto& l : logits) l = ud(gen);
  std::vector<float> sorted = logits;
  std::nth_element(sorted.begin(), sorted.begin() + 39, sorted.end(), std::greater<float>());
  const float kth = sorted[39];
  SamplingParams p = plain();
  p.top_k = 40;
  p.temperature = 5.0f;  // flat, so every one of the 40 is likely to appear
  Sampler s(p, static_cast<int32_t>(logits.size()));
  std::set<int32_t> seen;
  for (int i = 0; i < 400; ++i) {
    const int32_t t = s.sample(logits.data());
    EXPECT_GE(logits[t], kth);
    seen.insert(t);
  }
  EXPECT_GT(seen.size(), 30u);
}

TEST(Sampler, FilterMasksTokens) {
  std::vector<float> logits = {5.0f, 1.0f, 0.0f, 4.0f};
  SamplingParams p = plain();
  Sampler s(p, 4);
  s.set_filter([](float* l, int32_t n) {
    for (int32_t i = 0; i < n; ++i)
      if (i != 2) l[i] = -std::numeric_limits<float>::infinity();
  });
  for (int i = 0; i < 20; ++i) EXPECT_EQ(s.sample(logits.data()), 2);
  s.set_filter([](float* l, int32_t n) {
    for (int32_t i = 0; i < n; ++i) l[i] = -std::numeric_limits<float>::infinity();
  });
  EXPECT_THROW(s.sample(logits.data()), Error);
}

TEST(Sampler, RejectsBadInput) {
  EXPECT_THROW(Sampler(plain(), 0), Error);
  Sampler s(plain(), 3);
  EXPECT_THROW(s.accept(3), Error);
  EXPECT_THROW(s.accept(-1), Error);
  std::vector<float> nan = {0.0f, std::nanf(""), 1.0f};
  EXPECT_THROW(s.sample(nan.data()), Error);
}
