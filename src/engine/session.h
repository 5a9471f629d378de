// One conversation on a model: its KV cache (through a model::Context), the tokens that cache
// holds, and the generation loop (prefix reuse, chunked prompt evaluation, sampling, stop
// conditions, streaming, cancellation, timings). Works on token ids; turning tokens into text is
// handed in, so the loop does not depend on a particular tokenizer.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/think_split.h"
#include "grammar/constraint.h"
#include "model/context.h"
#include "sample/sampler.h"
#include "tensor/thread_pool.h"

namespace airlock::engine {

enum class DoneReason { Stop, Length, Cancel };
const char* done_reason_name(DoneReason r);  // "stop", "length", "cancel"

struct GenerateParams {
  SamplingParams sampling;
  int64_t num_predict = -1;  // < 0: until end of generation or a full context
  std::vector<std::string> stop;
  // When the context fills during generation: false ends it ("length"); true drops the older half
  // of the tokens after the first n_keep and goes on (model::Context::shift).
  bool context_shift = false;
  int64_t n_keep = 0;
  // When set, only tokens that keep the output valid are sampled, within a budget of the tokens
  // left (num_predict and context): done() or EOS after a complete output ends with "stop"; an
  // output finished under budget pressure, or at the budget, ends with "length" (still complete).
  grammar::GrammarConstraint* constraint = nullptr;
  // Thinking models: the block before the answer is reported apart (Sequence::take_thinking) and
  // never constrained.
  ThinkParams think;
};

// How generated tokens become text: `piece` returns the text that token completes (it may hold
// back an incomplete UTF-8 sequence), `finish` whatever is still held at the end.
struct TokenText {
  std::function<bool(int32_t)> is_end;  // end-of-generation tokens (EOS, EOT, ...)
  std::function<std::string(int32_t)> piece;
  std::function<std::string()> finish;
};

struct Generation {
  std::string text;
  std::vector<int32_t> tokens;
  DoneReason done = DoneReason::Stop;
  int64_t prompt_tokens = 0;  // evaluated, not counting a reused prefix
  int64_t context_shifts = 0; // times the context was full and its older half dropped
  int64_t prompt_eval_ns = 0;
  int64_t eval_ns = 0;
  int64_t total_ns = 0;
};

class Session {
 public:
  Session(const model::Model& model, const model::ContextParams& params, int n_threads);

  // Makes the cache hold exactly `tokens`, reusing the longest common prefix with what it holds,
  // and returns the last position's logits (n_vocab). Throws airlock::Error if tokens is empty or
  // longer than the context.
  std::span<const float> feed(std::span<const int32_t> tokens, int64_t* evaluated = nullptr);
  // Evaluates tokens from an empty cache with every position's logits returned (n_vocab each).
  std::vector<float> evaluate_all(std::span<const int32_t> tokens);

  // Feeds the prompt, then samples until an end token, a stop string, num_predict, a full context
  // or on_text returning false.
  Generation generate(std::span<const int32_t> prompt, const GenerateParams& params,
                      const TokenText& text, const std::function<bool(std::string_view)>& on_text);

  const std::vector<int32_t>& history() const { return history_; }
  void reset();
  const model::Context& context() const { return ctx_; }

 private:
  // Makes room in a full context (GenerateParams::context_shift); returns the next position.
  int64_t shift_context(int64_t n_keep, Generation& g);

  std::unique_ptr<ThreadPool> pool_;
  model::Context ctx_;
  std::vector<int32_t> history_;  // tokens whose K/V the cache holds, in order
};

}  // namespace airlock::engine
