#include "grammar/parse_state.h"

#include <algorithm>
#include <string>

#include "airlock/error.h"

namespace airlock::grammar {
namespace {

// Beyond this many live stacks the grammar is too ambiguous to follow in bounded time.
constexpr size_t kMaxStacks = 20000;
// Rule references expanded inside each other at one position (r0 ::= r1, r1 ::= r2, ...): each is
// a recursive call, so a hostile chain is refused before it overflows the stack.
constexpr int kMaxExpandDepth = 1000;

// Expands rule references at the top of `stack` until every resulting stack has a character
// element on top (or is empty), appending them to `out`. Left recursion was refused at load time,
// so this terminates.
void expand(const Grammar& g, Stack& stack, std::vector<Stack>& out, int depth = 0) {
  if (stack.empty()) {
    out.push_back(stack);
    return;
  }
  const auto& els = g.elements();
  uint32_t pos = stack.back();
  if (els[pos].type == ElemType::Char) {
    out.push_back(stack);
    return;
  }
  if (depth >= kMaxExpandDepth)
    throw Error("grammar: rule references nested more than " + std::to_string(kMaxExpandDepth) + " deep");
  stack.pop_back();
  if (els[pos + 1].type != ElemType::End) stack.push_back(pos + 1);
  size_t base = stack.size();
  for (uint32_t alt : g.alternatives(els[pos].value)) {
    if (els[alt].type != ElemType::End) stack.push_back(alt);
    expand(g, stack, out, depth + 1);
    stack.resize(base);
    if (out.size() > kMaxStacks) throw Error("grammar: too ambiguous (more than 20000 parse stacks)");
  }
  if (els[pos + 1].type != ElemType::End) stack.pop_back();
  stack.push_back(pos);
}

void normalise(std::vector<Stack>& stacks) {
  std::sort(stacks.begin(), stacks.end());
  stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
}

// The stacks of `in` after matching code point cp, written to `out`.
void advance(const Grammar& g, const std::vector<Stack>& in, uint32_t cp, std::vector<Stack>& out) {
  const auto& els = g.elements();
  std::vector<Stack>& next = out;
  next.clear();
  for (const Stack& st : in) {
    if (st.empty() || !g.class_contains(els[st.back()].value, cp)) continue;
    Stack moved(st.begin(), st.end() - 1);
    if (els[st.back() + 1].type != ElemType::End) moved.push_back(st.back() + 1);
    expand(g, moved, next);
  }
  normalise(next);
}

// Whether some stack can take a code point that starts with the pending partial bytes. Exact:
// the candidate range excludes overlong forms and surrogates, so a live partial state always has a
// valid way to finish its character.
bool partial_viable(const Grammar& g, const ParseState& s) {
  const PartialChar& p = s.partial;
  uint32_t shift = 6u * p.need;
  uint32_t lo = p.value << shift;
  uint32_t hi = lo | ((1u << shift) - 1);
  uint32_t min_cp = p.length == 2 ? 0x80 : p.length == 3 ? 0x800 : 0x10000;
  lo = std::max(lo, min_cp);
  hi = std::min(hi, kMaxCodePoint);
  const auto& els = g.elements();
  for (const Stack& st : s.stacks) {
    if (st.empty()) continue;
    uint32_t cls = els[st.back()].value;
    // [lo, hi] minus the surrogates D800-DFFF, as up to two ranges.
    if (lo <= std::min(hi, 0xD7FFu) && g.class_intersects(cls, lo, std::min(hi, 0xD7FFu))) return true;
    if (std::max(lo, 0xE000u) <= hi && g.class_intersects(cls, std::max(lo, 0xE000u), hi)) return true;
  }
  return false;
}

}  // namespace

bool ParseState::complete() const {
  return partial.need == 0 && !stacks.empty() && stacks.front().empty();  // sorted: empty first
}

bool ParseState::can_continue() const { return !stacks.empty() && !stacks.back().empty(); }

ParseState initial_state(const Grammar& g) {
  ParseState s;
  // The root is not referenced by any element, so its alternatives are expanded directly.
  for (uint32_t alt : g.alternatives(g.root())) {
    Stack start;
    if (g.elements()[alt].type != ElemType::End) start.push_back(alt);
    expand(g, start, s.stacks);
  }
  normalise(s.stacks);
  return s;
}

bool step(const Grammar& g, const ParseState& in, uint8_t byte, ParseState& out) {
  out.stacks.clear();
  out.partial = {};
  if (in.dead()) return false;
  const PartialChar& p = in.partial;
  if (p.need == 0) {
    if (byte < 0x80) {
      advance(g, in.stacks, byte, out.stacks);
      return !out.dead();
    }
    if (byte >= 0xC2 && byte <= 0xDF) out.partial = {byte & 0x1Fu, 1, 2};
    else if (byte >= 0xE0 && byte <= 0xEF) out.partial = {byte & 0x0Fu, 2, 3};
    else if (byte >= 0xF0 && byte <= 0xF4) out.partial = {byte & 0x07u, 3, 4};
    else return false;
  } else {
    if ((byte & 0xC0) != 0x80) return false;
    uint32_t cp = (p.value << 6) | (byte & 0x3Fu);
    if (p.need == 1) {
      advance(g, in.stacks, cp, out.stacks);  // partial_viable kept cp valid: not overlong, not a surrogate
      return !out.dead();
    }
    out.partial = {cp, static_cast<uint8_t>(p.need - 1), p.length};
  }
  // Still inside a character: the stacks wait unchanged, if some of them can take it.
  out.stacks = in.stacks;
  if (!partial_viable(g, out)) {
    out.stacks.clear();
    out.partial = {};
    return false;
  }
  return true;
}

bool step(const Grammar& g, ParseState& s, uint8_t byte) {
  ParseState next;
  bool ok = step(g, s, byte, next);
  s = std::move(next);
  return ok;
}

uint64_t shortest_completion(const Grammar& g, const ParseState& s) {
  uint64_t best = UINT64_MAX;
  for (const Stack& st : s.stacks) {
    uint64_t cost = 0;
    for (uint32_t pos : st) cost += g.min_bytes_from(pos);
    if (s.partial.need != 0) {
      if (st.empty()) continue;
      // The top character is already partly written: only its missing bytes remain.
      cost = cost - g.class_min_bytes(g.elements()[st.back()].value) + s.partial.need;
    }
    best = std::min(best, cost);
  }
  return best;
}

}  // namespace airlock::grammar
