// The rules of one generated sequence, written once and used by every loop that generates: the
// single-conversation Session (CLI, library) and the Scheduler that batches many (server,
// library). A sequence samples (penalties primed with its prompt), keeps a constraint's output
// finishable within the tokens left, turns tokens into text held back across stop strings and
// incomplete UTF-8, and decides when generation is over and why. Its caller owns the KV cache and
// the forward passes, and tells it how much room the context has.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/session.h"
#include "engine/think_split.h"
#include "sample/sampler.h"
#include "sample/stop_matcher.h"

namespace airlock::engine {

// Whether output must end after a token placed at `pos`: the prompt and the output together fill
// at most n_ctx positions (as the familiar server counts them), so it ends when no position is
// left for another token. The rule every generation loop applies when its context does not shift.
inline bool context_full(int64_t pos, int64_t n_ctx) { return pos + 1 >= n_ctx; }

// What Sequence::sample() reports about the distribution it sampled from, when asked.
struct Logprobs {
  size_t n_top = 0;               // alternatives wanted
  float chosen = 0;               // the sampled token's log-probability
  std::vector<TokenChoice> top;   // the n_top most likely tokens, most likely first
};

class Sequence {
 public:
  // `constraint` (may be null) must outlive the sequence; `prompt`: the tokens before the output,
  // which the repetition penalties see, as llama.cpp's do.
  Sequence(const GenerateParams& params, TokenText text, int32_t n_vocab, std::span<const int32_t> prompt);

  // True once the sequence is over; reason() says why. num_predict 0 is over before it starts.
  bool done() const { return reason_.has_value(); }
  DoneReason reason() const { return reason_.value_or(DoneReason::Stop); }

  // The next token from one row of logits. `room`: context positions left for it and every later
  // token (INT64_MAX for a context that shifts), which bounds a constraint's budget. Call only
  // while !done(). With `lp`, its log-probability and lp->n_top alternatives under the
  // distribution sampled from (after penalties and the constraint's mask, before temperature).
  int32_t sample(const float* logits, int64_t room, Logprobs* lp = nullptr);
  // Takes the token sample() returned: returns the text it makes safe to show ("" while held
  // back), and ends the sequence on an end token, a stop string, a complete constraint or
  // num_predict. The caller then evaluates the token unless done(), or ends it with end().
  std::string accept(int32_t token);
  // Ends it from outside: Length when the context is full, Cancel when nobody listens any more.
  void end(DoneReason reason);
  // The text still held back once it is over (incomplete UTF-8, a stop-string prefix that never
  // completed); nothing after a stop string or a cancel.
  std::string finish();
  // With params.think.split: the thinking text produced since the last call (accept() and
  // finish() return only the answer). Stop strings apply to the answer only.
  std::string take_thinking() { return std::exchange(thinking_, {}); }

  const std::vector<int32_t>& tokens() const { return tokens_; }
  // The stop string that ended the sequence; "" when none did.
  const std::string& stop_string() const { return stops_.matched(); }

 private:
  void finish_as(DoneReason stop_or_length);
  // Whether the constraint masks (and then follows) the token sampled now: not inside a thinking
  // block.
  bool constrained_now() const { return constraint_ && !(think_ && think_->thinking()); }
  void apply_constraint(float* logits);
  // The answer part of `text`; the thinking part goes to thinking_.
  std::string split(const std::string& text);

  GenerateParams params_;
  TokenText text_;
  Sampler sampler_;
  StopMatcher stops_;
  grammar::GrammarConstraint* constraint_;
  uint64_t budget_ = 0;
  bool budget_forced_ = false;
  std::vector<int32_t> tokens_;
  std::optional<DoneReason> reason_;
  std::optional<ThinkSplit> think_;
  std::string thinking_;
};

}  // namespace airlock::engine
