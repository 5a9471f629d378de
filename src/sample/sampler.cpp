#include "sample/sampler.h"

#include <airlock/error.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>

namespace airlock {
namespace {

bool by_logit_desc(const TokenProb& a, const TokenProb& b) {
  // Ties go to the lower id so that equal logits never depend on the sort's internals.
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

uint64_t clock_seed() {
  std::random_device rd;
  auto t = static_cast<uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count());
  return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ t;
}

}  // namespace

void softmax(std::vector<TokenProb>& cand) {
  if (cand.empty()) return;
  float max_logit = -std::numeric_limits<float>::infinity();
  for (const auto& c : cand) max_logit = std::max(max_logit, c.logit);
  double sum = 0;
  for (auto& c : cand) {
    c.p = std::exp(c.logit - max_logit);
    sum += c.p;
  }
  for (auto& c : cand) c.p = static_cast<float>(c.p / sum);
}

Sampler::Sampler(const SamplingParams& params, int32_t n_vocab)
    : params_(params), n_vocab_(n_vocab), seed_(params.has_seed ? params.seed : clock_seed()) {
  if (n_vocab <= 0) throw Error("sampler: n_vocab must be positive, got " + std::to_string(n_vocab));
  if (params.repeat_last_n < -1)
    throw Error("sampler: repeat_last_n must be -1, 0 or positive, got " +
                std::to_string(params.repeat_last_n));
  if (!(params.repeat_penalty > 0))
    throw Error("sampler: repeat_penalty must be positive, got " +
                std::to_string(params.repeat_penalty));
  work_.resize(static_cast<size_t>(n_vocab));
  cand_.reserve(static_cast<size_t>(n_vocab));
  rng_.seed(seed_);
}

void Sampler::reset() {
  window_.clear();
  window_count_.clear();
  total_count_.clear();
  cand_.clear();
  rng_.seed(seed_);
}

void Sampler::accept(int32_t token) {
  if (token < 0 || token >= n_vocab_)
    throw Error("sampler: accepted token " + std::to_string(token) + " is outside the vocabulary of " +
                std::to_string(n_vocab_));
  ++total_count_[token];
  if (params_.repeat_last_n == 0) return;
  window_.push_back(token);
  ++window_count_[token];
  if (params_.repeat_last_n > 0 && window_.size() > static_cast<size_t>(params_.repeat_last_n)) {
    int32_t old = window_.front();
    window_.pop_front();
    if (--window_count_[old] == 0) window_count_.erase(old);
  }
}

void Sampler::apply_penalties(float* logits) const {
  if (params_.repeat_penalty != 1.0f) {
    for (const auto& [id, count] : window_count_) {
      float& l = logits[id];
      l = l <= 0 ? l * params_.repeat_penalty : l / params_.repeat_penalty;
    }
  }
  if (params_.presence_penalty != 0.0f || params_.frequency_penalty != 0.0f) {
    for (const auto& [id, count] : total_count_)
      logits[id] -= static_cast<float>(count) * params_.frequency_penalty + params_.presence_penalty;
  }
}

// Greedy needs no candidate list: one pass over the logits. Ties go to the lowest id.
int32_t Sampler::argmax(const float* logits) {
  cand_.clear();
  constexpr float kInf = std::numeric_limits<float>::infinity();
  int32_t best = -1;
  float best_logit = -kInf;  // a masked token (-inf) is never greater
  for (int32_t i = 0; i < n_vocab_; ++i) {
    const float l = logits[i];
    if (!(l < kInf)) throw Error("sampler: logit of token " + std::to_string(i) + " is not a finite number");
    if (l > best_logit) {
      best_logit = l;
      best = i;
    }
  }
  if (best < 0) throw Error("sampler: every token is masked; nothing can be sampled");
  return best;
}

void Sampler::build_candidates(const float* logits) {
  cand_.clear();
  sorted_ = false;
  for (int32_t i = 0; i < n_vocab_; ++i) {
    float l = logits[i];
    if (std::isnan(l) || l == std::numeric_limits<float>::infinity())
      throw Error("sampler: logit of token " + std::to_string(i) + " is not a finite number");
    if (l != -std::numeric_limits<float>::infinity()) cand_.push_back({i, l, 0.0f});
  }
  if (cand_.empty()) throw Error("sampler: every token is masked; nothing can be sampled");
}

// Partial sort: only the k best are ordered, the other n - k are dropped unsorted.
void Sampler::top_k(int k) {
  if (k <= 0 || static_cast<size_t>(k) >= cand_.size()) return;
  std::partial_sort(cand_.begin(), cand_.begin() + k, cand_.end(), by_logit_desc);
  cand_.resize(static_cast<size_t>(k));
  sorted_ = true;
}

// Locally typical sampling (Meister et al.): keep the tokens whose surprisal is closest to the
// distribution's entropy until their mass exceeds p.
void Sampler::typical(float p) {
  if (p >= 1.0f || cand_.size() <= 1) return;
  softmax(cand_);
  double entropy = 0;
  for (const auto& c : cand_)
    if (c.p > 0) entropy -= c.p * std::log(c.p);
  auto shift = [entropy](const TokenProb& c) {
    return c.p > 0 ? std::abs(-std::log(static_cast<double>(c.p)) - entropy)
                   : std::numeric_limits<double>::infinity();
  };
  std::sort(cand_.begin(), cand_.end(), [&](const TokenProb& a, const TokenProb& b) {
    double sa = shift(a), sb = shift(b);
    return sa < sb || (sa == sb && a.id < b.id);
  });
  double cum = 0;
  size_t keep = cand_.size();
  for (size_t i = 0; i < cand_.size(); ++i) {
    cum += cand_[i].p;
    if (cum > p) {
      keep = i + 1;
      break;
    }
  }
  cand_.resize(keep);
  sorted_ = false;
}

// Nucleus sampling: the smallest set of most likely tokens whose mass is >= p. Without top_k the
// candidates are the whole vocabulary, so only a growing prefix is sorted: the nucleus is usually
// a small fraction of 150k tokens.
void Sampler::top_p(float p) {
  if (p >= 1.0f || cand_.size() <= 1) return;
  softmax(cand_);
  double cum = 0;
  size_t done = 0;  // cand_[0, done) is sorted and its mass is in cum
  for (size_t prefix = 256;; prefix *= 4) {
    prefix = std::min(prefix, cand_.size());
    if (!sorted_) {
      // Partition, then sort only the new part of the prefix: O(n + k log k).
      const auto first = cand_.begin() + static_cast<ptrdiff_t>(done);
      const auto last = cand_.begin() + static_cast<ptrdiff_t>(prefix);
      std::nth_element(first, last - 1, cand_.end(), by_logit_desc);
      std::sort(first, last, by_logit_desc);
    }
    for (; done < prefix; ++done) {
      cum += cand_[done].p;
      if (cum >= p) {
        cand_.resize(done + 1);
        sorted_ = true;
        return;
      }
    }
    if (prefix == cand_.size()) break;
  }
  sorted_ = true;  // rounding kept the mass just under p: every candidate stays
}

// Keep tokens at least p times as likely as the most likely one: in logits,
// logit >= max_logit + log(p). No sort needed.
void Sampler::min_p(float p) {
  if (p <= 0.0f || cand_.size() <= 1) return;
  float max_logit = -std::numeric_limits<float>::infinity();
  for (const auto& c : cand_) max_logit = std::max(max_logit, c.logit);
  const float min_logit = max_logit + std::log(p);
  std::erase_if(cand_, [min_logit](const TokenProb& c) { return c.logit < min_logit; });
}

// One uniform number from 53 random bits, then a walk along the cumulative distribution; unlike
// std::discrete_distribution this gives the same token on every standard library.
int32_t Sampler::draw() {
  softmax(cand_);
  const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
  double cum = 0;
  for (const auto& c : cand_) {
    cum += c.p;
    if (u < cum) return c.id;
  }
  return cand_.back().id;  // rounding left u just above the total
}

double Sampler::log_normaliser() const {
  float max = -std::numeric_limits<float>::infinity();
  for (float x : work_) max = std::max(max, x);
  if (!std::isfinite(max)) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0;
  for (float x : work_)
    if (std::isfinite(x)) sum += std::exp(static_cast<double>(x - max));
  return static_cast<double>(max) + std::log(sum);
}

float Sampler::logprob(int32_t token) const {
  const double norm = log_normaliser();
  if (std::isnan(norm) || token < 0 || token >= n_vocab_) return -std::numeric_limits<float>::infinity();
  return static_cast<float>(static_cast<double>(work_[static_cast<size_t>(token)]) - norm);
}

std::vector<TokenChoice> Sampler::top_logprobs(size_t n) const {
  std::vector<TokenChoice> heap;  // a min-heap on the logit: its front is the weakest kept
  if (n == 0) return heap;
  const double norm = log_normaliser();
  if (std::isnan(norm)) return heap;
  auto weaker = [](const TokenChoice& a, const TokenChoice& b) { return a.logprob > b.logprob; };
  heap.reserve(n + 1);
  for (int32_t id = 0; id < n_vocab_; ++id) {
    const float x = work_[static_cast<size_t>(id)];
    if (!std::isfinite(x) || (heap.size() == n && x <= heap.front().logprob)) continue;
    heap.push_back({id, x});
    std::push_heap(heap.begin(), heap.end(), weaker);
    if (heap.size() > n) {
      std::pop_heap(heap.begin(), heap.end(), weaker);
      heap.pop_back();
    }
  }
  std::sort_heap(heap.begin(), heap.end(), weaker);  // ascending under `weaker`: most likely first
  for (auto& c : heap) c.logprob = static_cast<float>(static_cast<double>(c.logprob) - norm);
  return heap;
}

int32_t Sampler::sample(const float* logits) {
  std::copy(logits, logits + n_vocab_, work_.begin());
  if (filter_) filter_(work_.data(), n_vocab_);
  apply_penalties(work_.data());
  if (params_.temperature <= 0.0f) return argmax(work_.data());
  build_candidates(work_.data());
  top_k(params_.top_k);
  typical(params_.typical_p);
  top_p(params_.top_p);
  min_p(params_.min_p);
  for (auto& c : cand_) c.logit /= params_.temperature;
  return draw();
}

}  // namespace airlock
