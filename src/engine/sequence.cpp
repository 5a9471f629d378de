#include "engine/sequence.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace airlock::engine {

Sequence::Sequence(const GenerateParams& params, TokenText text, int32_t n_vocab, std::span<const int32_t> prompt)
    : params_(params), text_(std::move(text)), sampler_(params.sampling, n_vocab), stops_(params.stop),
      constraint_(params.constraint) {
  for (int32_t t : prompt) sampler_.accept(t);
  if (params_.think.split) think_.emplace(params_.think.inside);
  if (constraint_) sampler_.set_filter([this](float* logits, int32_t) { apply_constraint(logits); });
  if (params_.num_predict == 0) reason_ = DoneReason::Length;
  else if (constraint_ && constraint_->done()) reason_ = DoneReason::Stop;
}

void Sequence::apply_constraint(float* logits) {
  if (!constrained_now()) return;
  // Before the answer has begun the model may still open its thinking block.
  const int32_t open = params_.think.open_token;
  const bool may_open = think_ && !think_->answering() && open >= 0;
  const float open_logit = may_open ? logits[open] : 0;
  constraint_->apply(logits, budget_);
  if (may_open) logits[open] = open_logit;
}

void Sequence::finish_as(DoneReason stop_or_length) {
  // A constrained output the budget had to cut short is complete, but not what was asked for.
  reason_ = constraint_ && budget_forced_ ? DoneReason::Length : stop_or_length;
}

int32_t Sequence::sample(const float* logits, int64_t room, Logprobs* lp) {
  if (constraint_) {
    int64_t left = room;
    if (params_.num_predict > 0) left = std::min(left, params_.num_predict - static_cast<int64_t>(tokens_.size()));
    budget_ = left == std::numeric_limits<int64_t>::max() ? grammar::GrammarConstraint::kNoBudget
                                                           : static_cast<uint64_t>(std::max<int64_t>(left, 1));
    budget_forced_ = budget_forced_ || budget_ <= constraint_->shortest_completion_bytes() + 1;
  }
  const int32_t token = sampler_.sample(logits);
  if (lp) {
    lp->chosen = sampler_.logprob(token);
    lp->top = sampler_.top_logprobs(lp->n_top);
  }
  return token;
}

std::string Sequence::accept(int32_t token) {
  sampler_.accept(token);
  const bool opens_block = think_ && !think_->answering() && token == params_.think.open_token;
  const bool constrained = constrained_now() && !opens_block;
  if (constrained) constraint_->accept(token);
  if (text_.is_end(token)) {
    finish_as(DoneReason::Stop);
    return "";
  }
  tokens_.push_back(token);
  std::string out = stops_.feed(split(text_.piece(token)));
  if (stops_.stopped()) reason_ = DoneReason::Stop;
  else if (constrained && constraint_->done()) finish_as(DoneReason::Stop);  // nothing can follow
  else if (params_.num_predict > 0 && static_cast<int64_t>(tokens_.size()) >= params_.num_predict)
    reason_ = DoneReason::Length;
  return out;
}

void Sequence::end(DoneReason reason) {
  // A cancel wins even over a stop just reached: its text was not delivered.
  if (!reason_ || reason == DoneReason::Cancel) reason_ = reason;
}

std::string Sequence::split(const std::string& text) {
  if (!think_) return text;
  ThinkSplit::Parts parts = think_->feed(text);
  thinking_ += parts.thinking;
  return std::move(parts.answer);
}

std::string Sequence::finish() {
  if (reason_ == DoneReason::Cancel || stops_.stopped()) return "";
  std::string rest = split(text_.finish());
  if (think_) {
    ThinkSplit::Parts parts = think_->finish();
    thinking_ += parts.thinking;
    rest += parts.answer;
  }
  std::string tail = stops_.feed(rest);
  if (!stops_.stopped()) tail += stops_.flush();
  return tail;
}

}  // namespace airlock::engine
