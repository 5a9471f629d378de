#include "grammar/constraint.h"

#include <algorithm>
#include <limits>

#include "airlock/error.h"

namespace airlock::grammar {
namespace {

// Sets every logit but those of `keep` (ids in any order) to -inf.
void keep_only(float* logits, size_t n, const std::vector<int32_t>& keep) {
  std::vector<float> saved(keep.size());
  for (size_t i = 0; i < keep.size(); ++i) saved[i] = logits[keep[i]];
  std::fill(logits, logits + n, -std::numeric_limits<float>::infinity());
  for (size_t i = 0; i < keep.size(); ++i) logits[keep[i]] = saved[i];
}

}  // namespace

GrammarConstraint::GrammarConstraint(std::shared_ptr<const Grammar> g, std::shared_ptr<const TokenTrie> trie,
                                     std::shared_ptr<Automaton> automaton)
    : trie_(std::move(trie)), automaton_(std::move(automaton)) {
  if (!automaton_) automaton_ = std::make_shared<Automaton>(g);
  if (&automaton_->grammar() != g.get()) throw Error("grammar constraint: the automaton was built for another grammar");
  auto lock = automaton_->lock();
  state_ = automaton_->initial();
  parse_ = automaton_->parse_state(state_);
  generation_ = automaton_->generation();
  walk_states_.resize(trie_->max_depth() + 1);
  next_state_.assign(trie_->vocab_size(), Automaton::kDead);
}

int32_t GrammarConstraint::current() {
  if (generation_ != automaton_->generation()) {
    state_ = automaton_->intern(parse_);
    generation_ = automaton_->generation();
    candidates_valid_ = false;
  }
  return state_;
}

void GrammarConstraint::compute_candidates() {
  automaton_->trim();
  int32_t start = current();
  if (candidates_valid_) return;
  // The same state as the last walk (a string or array loop often returns to it after a token):
  // every token leads where it did then.
  if (!ended_ && start == walked_state_ && generation_ == walked_generation_) {
    candidates_valid_ = true;
    return;
  }
  for (int32_t t : live_) next_state_[t] = Automaton::kDead;
  live_.clear();
  if (!ended_) {
    Automaton& a = *automaton_;
    const auto& nodes = trie_->nodes();
    const auto& ids = trie_->token_ids();
    int32_t* at_depth = walk_states_.data();
    at_depth[0] = start;
    for (size_t i = 0; i < nodes.size();) {
      const TokenTrie::Node& n = nodes[i];
      int32_t s = a.next(at_depth[n.depth - 1], n.byte);
      if (s == Automaton::kDead) {
        i = n.skip;
        continue;
      }
      at_depth[n.depth] = s;
      for (uint32_t t = n.tok_begin; t < n.tok_end; ++t) {
        next_state_[ids[t]] = s;
        live_.push_back(ids[t]);
      }
      ++i;
    }
    walked_state_ = start;
    walked_generation_ = generation_;
  }
  candidates_valid_ = true;
}

bool GrammarConstraint::permitted(size_t id, bool complete, uint64_t budget) const {
  int32_t next = next_state_[id];
  if (next == Automaton::kDead) return complete && trie_->is_end(static_cast<int32_t>(id));
  return budget == kNoBudget || automaton_->shortest(next) <= budget - 1;
}

std::vector<int32_t> GrammarConstraint::allowed(uint64_t budget) {
  if (budget == 0) return {};
  auto lock = automaton_->lock();
  compute_candidates();
  bool complete = !ended_ && automaton_->complete(state_);
  std::vector<int32_t> out;
  out.reserve(live_.size() + trie_->end_tokens().size());
  for (size_t id = 0; id < next_state_.size(); ++id)
    if (permitted(id, complete, budget)) out.push_back(static_cast<int32_t>(id));
  if (out.empty() && budget != kNoBudget) {
    out = finishing_tokens_locked();
    std::sort(out.begin(), out.end());
  }
  return out;
}

std::vector<int32_t> GrammarConstraint::finishing_tokens() {
  auto lock = automaton_->lock();
  std::vector<int32_t> out = finishing_tokens_locked();
  std::sort(out.begin(), out.end());
  return out;
}

// In trie order (the callers that need ascending ids sort).
std::vector<int32_t> GrammarConstraint::finishing_tokens_locked() {
  if (ended_) return {};
  compute_candidates();
  if (automaton_->complete(state_)) return trie_->end_tokens();
  uint64_t best = std::numeric_limits<uint64_t>::max();
  std::vector<int32_t> out;
  for (int32_t tok : live_) {
    uint64_t cost = trie_->piece(tok).size() + automaton_->shortest(next_state_[tok]);
    if (cost < best) {
      best = cost;
      out.clear();
    }
    if (cost == best) out.push_back(tok);
  }
  return out;
}

void GrammarConstraint::apply(float* logits, uint64_t budget) {
  if (budget == 0) {
    keep_only(logits, vocab_size(), {});
    return;
  }
  auto lock = automaton_->lock();
  compute_candidates();
  bool complete = !ended_ && automaton_->complete(state_);
  // Whether anything passes the budget rule (usually the first candidate does); if not, fall back
  // to the finishing tokens before any logit is overwritten.
  bool any = complete && !trie_->end_tokens().empty();
  for (size_t i = 0; i < live_.size() && !any; ++i) any = permitted(static_cast<size_t>(live_[i]), complete, budget);
  if (!any) {
    keep_only(logits, vocab_size(), budget == kNoBudget ? std::vector<int32_t>{} : finishing_tokens_locked());
    return;
  }
  // One pass over the logits, without building the allowed list.
  for (size_t id = 0; id < next_state_.size(); ++id)
    if (!permitted(id, complete, budget)) logits[id] = -std::numeric_limits<float>::infinity();
}

void GrammarConstraint::restrict_to_finish(float* logits) {
  auto lock = automaton_->lock();
  keep_only(logits, vocab_size(), finishing_tokens_locked());
}

void GrammarConstraint::accept(int32_t token) {
  if (token < 0 || static_cast<size_t>(token) >= vocab_size())
    throw Error("grammar constraint: token id " + std::to_string(token) + " outside the vocabulary");
  if (ended_) throw Error("grammar constraint: token " + std::to_string(token) + " after the end of the output");
  auto lock = automaton_->lock();
  int32_t s = current();
  if (trie_->is_end(token)) {
    if (!automaton_->complete(s))
      throw Error("grammar constraint: end token " + std::to_string(token) + " before the output is complete");
    ended_ = true;
    candidates_valid_ = false;
    return;
  }
  if (!trie_->is_text(token)) throw Error("grammar constraint: control token " + std::to_string(token) + " is never allowed");
  if (candidates_valid_) {
    s = next_state_[token];  // the mask already knows where each token leads
  } else {
    for (char c : trie_->piece(token)) {
      s = automaton_->next(s, static_cast<uint8_t>(c));
      if (s == Automaton::kDead) break;
    }
  }
  if (s == Automaton::kDead) throw Error("grammar constraint: token " + std::to_string(token) + " cannot continue the output");
  state_ = s;
  parse_ = automaton_->parse_state(s);
  candidates_valid_ = false;
}

bool GrammarConstraint::done() const {
  return ended_ || (parse_.complete() && !parse_.can_continue());
}

bool GrammarConstraint::is_complete() const { return parse_.complete(); }

uint64_t GrammarConstraint::shortest_completion_bytes() const {
  if (ended_) return 0;
  return shortest_completion(automaton_->grammar(), parse_);
}

}  // namespace airlock::grammar
