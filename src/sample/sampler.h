// Token sampling: turns one position's logits into the next token.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <random>
#include <unordered_map>
#include <vector>

#include "airlock/sampling.h"

namespace airlock {

// Edits a full row of n_vocab logits in place before any sampling step; a grammar constraint
// masks the tokens it forbids by setting them to -infinity.
using LogitsFilter = std::function<void(float* logits, int32_t n_vocab)>;

// A token with its log-probability, as reported to a caller that asked for logprobs.
struct TokenChoice {
  int32_t id;
  float logprob;
};

struct TokenProb {
  int32_t id;
  float logit;  // after penalties (and temperature, once that step has run)
  float p;      // filled in by the steps that need probabilities
};

// One sequence's sampler. The chain, in llama.cpp's default order:
//   logits filter -> repeat/presence/frequency penalties ->
//   temperature <= 0: argmax; else top_k -> typical_p -> top_p -> min_p -> temperature -> draw.
// Penalties: repeat_penalty applies once to each distinct token among the last repeat_last_n
// accepted tokens (a positive logit is divided by it, a negative one multiplied, as llama.cpp
// does); presence and frequency penalties follow OpenAI: logit -= count * frequency_penalty +
// (count > 0) * presence_penalty, with count over every token accepted since reset().
// Tokens whose logit is -infinity (masked by the filter) are never chosen.
class Sampler {
 public:
  Sampler(const SamplingParams& params, int32_t n_vocab);

  void set_filter(LogitsFilter filter) { filter_ = std::move(filter); }

  // Chooses a token from n_vocab logits. Throws airlock::Error if every token is masked or a
  // logit is NaN. Does not record the choice: call accept() with the token the engine keeps.
  int32_t sample(const float* logits);
  // The log-probability of `token` under the distribution the last sample() call started from:
  // the logits after the filter (a constraint's mask) and the penalties, before temperature and
  // truncation, as the familiar servers report it. O(n_vocab); call only when asked for.
  float logprob(int32_t token) const;
  // The n most likely tokens under that same distribution, most likely first; masked tokens never
  // appear, so there may be fewer. One pass over the vocabulary with a heap of n: no sort of it.
  std::vector<TokenChoice> top_logprobs(size_t n) const;
  // Records a token of the sequence (prompt or generated) for the penalties.
  void accept(int32_t token);
  // Forgets the accepted tokens and restarts the random stream from the seed.
  void reset();

  const SamplingParams& params() const { return params_; }
  int32_t n_vocab() const { return n_vocab_; }
  // The candidates left after the last sample() call's truncation steps with their final
  // probabilities (sum 1), in no particular order; empty after a greedy choice. For tests and
  // for reporting logprobs.
  const std::vector<TokenProb>& candidates() const { return cand_; }

 private:
  // max + log(sum(exp(logit - max))) over work_: the log of the softmax's denominator.
  double log_normaliser() const;
  void apply_penalties(float* logits) const;
  int32_t argmax(const float* logits);
  void build_candidates(const float* logits);
  void top_k(int k);
  void typical(float p);
  void top_p(float p);
  void min_p(float p);
  int32_t draw();

  SamplingParams params_;
  int32_t n_vocab_;
  uint64_t seed_;
  std::mt19937_64 rng_;
  LogitsFilter filter_;
  std::deque<int32_t> window_;                     // last repeat_last_n accepted tokens
  std::unordered_map<int32_t, int> window_count_;  // occurrences in window_
  std::unordered_map<int32_t, int> total_count_;   // occurrences since reset()
  std::vector<float> work_;                        // the filtered, penalised logits
  std::vector<TokenProb> cand_;
  bool sorted_ = false;  // cand_ is in descending logit order
};

// Softmax of a candidate list in place (fills p); a numerically stable helper shared with tests.
void softmax(std::vector<TokenProb>& cand);

}  // namespace airlock
