#include "engine/session.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include "airlock/error.h"
#include "engine/sequence.h"

namespace airlock::engine {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

const char* done_reason_name(DoneReason r) {
  switch (r) {
    case DoneReason::Stop: return "stop";
    case DoneReason::Length: return "length";
    case DoneReason::Cancel: return "cancel";
  }
  return "stop";
}

Session::Session(const model::Model& model, const model::ContextParams& params, int n_threads)
    : pool_(std::make_unique<ThreadPool>(n_threads)), ctx_(model, params, pool_.get()) {}

void Session::reset() {
  history_.clear();
  ctx_.truncate(0, 0);
}

std::span<const float> Session::feed(std::span<const int32_t> tokens, int64_t* evaluated) {
  const auto n = static_cast<int64_t>(tokens.size());
  if (n == 0) throw Error("generate: empty prompt");
  if (n > ctx_.n_ctx())
    throw Error("prompt of " + std::to_string(n) + " tokens does not fit the context of " +
                std::to_string(ctx_.n_ctx()));
  // Reuse the common prefix, but always evaluate at least the last token: its logits are needed.
  auto mismatch = std::mismatch(history_.begin(), history_.end(), tokens.begin(), tokens.end());
  int64_t keep = std::min<int64_t>(mismatch.first - history_.begin(), n - 1);
  ctx_.truncate(0, keep);
  history_.resize(static_cast<size_t>(keep));

  std::span<const float> logits;
  for (int64_t start = keep; start < n; start += ctx_.n_batch()) {
    const int64_t end = std::min(n, start + ctx_.n_batch());
    model::Batch batch;
    batch.reserve(static_cast<size_t>(end - start));
    for (int64_t i = start; i < end; ++i) batch.push_back({tokens[static_cast<size_t>(i)], i, 0, i == n - 1});
    logits = ctx_.forward(batch);
    history_.insert(history_.end(), tokens.begin() + start, tokens.begin() + end);
  }
  if (evaluated) *evaluated = n - keep;
  return logits;
}

std::vector<float> Session::evaluate_all(std::span<const int32_t> tokens) {
  reset();
  const auto n = static_cast<int64_t>(tokens.size());
  if (n == 0) throw Error("evaluate: no tokens");
  if (n > ctx_.n_ctx())
    throw Error(std::to_string(n) + " tokens do not fit the context of " + std::to_string(ctx_.n_ctx()));
  std::vector<float> all;
  for (int64_t start = 0; start < n; start += ctx_.n_batch()) {
    const int64_t end = std::min(n, start + ctx_.n_batch());
    model::Batch batch;
    for (int64_t i = start; i < end; ++i) batch.push_back({tokens[static_cast<size_t>(i)], i, 0, true});
    auto out = ctx_.forward(batch);
    all.insert(all.end(), out.begin(), out.end());
    history_.insert(history_.end(), tokens.begin() + start, tokens.begin() + end);
  }
  return all;
}

int64_t Session::shift_context(int64_t n_keep, Generation& g) {
  const auto len = static_cast<int64_t>(history_.size());
  n_keep = std::clamp<int64_t>(n_keep, 0, len);
  const int64_t n_discard = (len - n_keep) / 2;
  if (n_discard < 1) return len;  // nothing left to drop: the caller reports "length"
  ctx_.shift(0, n_keep, n_discard);
  history_.erase(history_.begin() + n_keep, history_.begin() + n_keep + n_discard);
  ++g.context_shifts;
  return static_cast<int64_t>(history_.size());
}

Generation Session::generate(std::span<const int32_t> prompt, const GenerateParams& params,
                             const TokenText& text, const std::function<bool(std::string_view)>& on_text) {
  Generation g;
  const int64_t t0 = now_ns();
  std::span<const float> logits = feed(prompt, &g.prompt_tokens);
  const int64_t t1 = now_ns();
  g.prompt_eval_ns = t1 - t0;

  Sequence seq(params, text, static_cast<int32_t>(ctx_.model().hparams().n_vocab), history_);
  auto emit = [&](const std::string& s) {
    if (s.empty()) return true;
    g.text += s;
    return on_text ? on_text(s) : true;
  };
  while (!seq.done()) {
    // The sampled token goes at position history_.size(); a shifting context never runs out.
    const int64_t room = params.context_shift ? INT64_MAX : ctx_.n_ctx() - static_cast<int64_t>(history_.size());
    const int32_t tok = seq.sample(logits.data(), room);
    if (!emit(seq.accept(tok))) seq.end(DoneReason::Cancel);
    if (seq.done()) break;
    // The last token is not evaluated: nothing would read its logits. A later generate() whose
    // prompt continues this one evaluates it then.
    auto pos = static_cast<int64_t>(history_.size());
    if (pos >= ctx_.n_ctx() && params.context_shift) pos = shift_context(params.n_keep, g);
    if (pos >= ctx_.n_ctx() || (!params.context_shift && context_full(pos, ctx_.n_ctx()))) {
      seq.end(DoneReason::Length);
      break;
    }
    logits = ctx_.forward({{tok, pos, 0, true}});
    history_.push_back(tok);
  }
  emit(seq.finish());
  g.tokens = seq.tokens();
  g.done = seq.reason();
  const int64_t t2 = now_ns();
  g.eval_ns = t2 - t1;
  g.total_ns = t2 - t0;
  return g;
}

}  // namespace airlock::engine
