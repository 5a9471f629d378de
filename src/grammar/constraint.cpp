#include "grammar/constraint.h"

#include <algorithm>
#include <limits>

#include "airlock/error.h"

namespace airlock::grammar {

GrammarConstraint::GrammarConstraint(std::shared_ptr<const Grammar> g, std::shared_ptr<const TokenTrie> trie,
                                     std::shared_ptr<Automaton> automaton)
    : trie_(std::move(trie)), automaton_(std::move(automaton)) {
  if (!automaton_) automaton_ = std::make_shared<Automaton>(g);
  if (&automaton_->grammar() != g.get()) throw Error("grammar constraint: the automaton was built for another grammar");
  state_ = automaton_->initial();
  walk_states_.resize(trie_->max_depth() + 1);
  next_state_.assign(trie_->vocab_size(), Automaton::kDead);
}

void GrammarConstraint::compute_candidates() {
  if (candidates_valid_) return;
  for (int32_t t : live_) next_state_[t] = Automaton::kDead;
  live_.clear();
  if (!ended_) {
    auto lock = automaton_->lock();
    Automaton& a = *automaton_;
    const auto& nodes = trie_->nodes();
    const auto& ids = trie_->token_ids();
    int32_t* at_depth = walk_states_.data();
    at_depth[0] = state_;
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
  }
  candidates_valid_ = true;
}

std::vector<int32_t> GrammarConstraint::allowed(uint64_t budget) {
  if (budget == 0) return {};
  compute_candidates();
  bool complete = !ended_ && is_complete();
  std::vector<int32_t> out;
  out.reserve(live_.size() + trie_->end_tokens().size());
  auto lock = automaton_->lock();
  for (size_t id = 0; id < next_state_.size(); ++id) {
    auto t = static_cast<int32_t>(id);
    int32_t next = next_state_[id];
    if (next != Automaton::kDead ? budget == kNoBudget || automaton_->shortest(next) <= budget - 1
                                 : complete && trie_->is_end(t))
      out.push_back(t);
  }
  lock.unlock();
  if (out.empty() && budget != kNoBudget) return finishing_tokens();
  return out;
}

std::vector<int32_t> GrammarConstraint::finishing_tokens() {
  if (ended_) return {};
  if (is_complete()) return trie_->end_tokens();
  compute_candidates();
  uint64_t best = std::numeric_limits<uint64_t>::max();
  std::vector<int32_t> out;
  auto lock = automaton_->lock();
  for (int32_t tok : live_) {
    uint64_t cost = trie_->piece(tok).size() + automaton_->shortest(next_state_[tok]);
    if (cost < best) {
      best = cost;
      out.clear();
    }
    if (cost == best) out.push_back(tok);
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

void mask_except(float* logits, size_t n, const std::vector<int32_t>& keep) {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  size_t k = 0;
  for (size_t id = 0; id < n; ++id) {
    if (k < keep.size() && static_cast<size_t>(keep[k]) == id) {
      ++k;
      continue;
    }
    logits[id] = kNegInf;
  }
}

}  // namespace

void GrammarConstraint::apply(float* logits, uint64_t budget) { mask_except(logits, vocab_size(), allowed(budget)); }

void GrammarConstraint::restrict_to_finish(float* logits) {
  std::vector<int32_t> keep = finishing_tokens();
  mask_except(logits, vocab_size(), keep);
}

void GrammarConstraint::accept(int32_t token) {
  if (token < 0 || static_cast<size_t>(token) >= vocab_size())
    throw Error("grammar constraint: token id " + std::to_string(token) + " outside the vocabulary");
  if (ended_) throw Error("grammar constraint: token " + std::to_string(token) + " after the end of the output");
  if (trie_->is_end(token)) {
    if (!is_complete()) throw Error("grammar constraint: end token " + std::to_string(token) + " before the output is complete");
    ended_ = true;
    candidates_valid_ = false;
    return;
  }
  if (!trie_->is_text(token)) throw Error("grammar constraint: control token " + std::to_string(token) + " is never allowed");
  const std::string& piece = trie_->piece(token);
  auto lock = automaton_->lock();
  int32_t s = state_;
  for (char c : piece) {
    s = automaton_->next(s, static_cast<uint8_t>(c));
    if (s == Automaton::kDead) break;
  }
  if (s == Automaton::kDead) throw Error("grammar constraint: token " + std::to_string(token) + " cannot continue the output");
  state_ = s;
  candidates_valid_ = false;
}

bool GrammarConstraint::done() const {
  if (ended_) return true;
  auto lock = automaton_->lock();
  return automaton_->complete(state_) && !automaton_->can_continue(state_);
}

bool GrammarConstraint::is_complete() const {
  auto lock = automaton_->lock();
  return automaton_->complete(state_);
}

uint64_t GrammarConstraint::shortest_completion_bytes() const {
  if (ended_) return 0;
  auto lock = automaton_->lock();
  return automaton_->shortest(state_);
}

}  // namespace airlock::grammar
