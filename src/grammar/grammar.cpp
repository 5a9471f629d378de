#include "grammar/grammar.h"

#include <algorithm>
#include <limits>
#include <queue>
#include <vector>

#include "airlock/error.h"
#include "grammar/grammar_builder.h"

namespace airlock::grammar {
namespace {

constexpr uint64_t kInfinite = std::numeric_limits<uint64_t>::max() / 4;

uint64_t saturating_add(uint64_t a, uint64_t b) { return std::min(kInfinite, a + b); }

}  // namespace

uint32_t Grammar::Builder::rule_id(const std::string& name, size_t use_offset) {
  auto it = ids.find(name);
  if (it != ids.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(names.size());
  names.push_back(name);
  alts.emplace_back();
  defined.push_back(false);
  first_use.push_back(use_offset);
  ids.emplace(name, id);
  return id;
}

uint32_t Grammar::Builder::anonymous(const std::string& base) {
  for (size_t n = names.size();; ++n) {
    std::string name = base + "#" + std::to_string(n);  // "#" cannot appear in a written rule name
    if (!ids.count(name)) {
      uint32_t id = rule_id(name, 0);
      defined[id] = true;
      return id;
    }
  }
}

uint32_t Grammar::Builder::add_class(std::vector<CharRange> ranges, bool negated) {
  std::sort(ranges.begin(), ranges.end(), [](CharRange a, CharRange b) { return a.lo < b.lo; });
  std::vector<CharRange> merged;
  for (CharRange r : ranges) {
    if (r.lo > r.hi) continue;
    if (!merged.empty() && r.lo <= merged.back().hi + 1)
      merged.back().hi = std::max(merged.back().hi, r.hi);
    else
      merged.push_back(r);
  }
  if (negated) {
    std::vector<CharRange> complement;
    uint32_t next = 0;
    for (CharRange r : merged) {
      if (r.lo > next) complement.push_back({next, r.lo - 1});
      next = r.hi + 1;
    }
    if (next <= kMaxCodePoint) complement.push_back({next, kMaxCodePoint});
    merged = std::move(complement);
  }
  classes.push_back(std::move(merged));
  return static_cast<uint32_t>(classes.size() - 1);
}

bool Grammar::class_contains(uint32_t cls, uint32_t cp) const {
  for (const CharRange& r : classes_[cls]) {
    if (cp < r.lo) return false;
    if (cp <= r.hi) return true;
  }
  return false;
}

bool Grammar::class_intersects(uint32_t cls, uint32_t lo, uint32_t hi) const {
  for (const CharRange& r : classes_[cls]) {
    if (r.lo > hi) return false;
    if (r.hi >= lo) return true;
  }
  return false;
}

void Grammar::finish(Builder& b, std::string_view root) {
  auto root_it = b.ids.find(std::string(root));
  if (root_it == b.ids.end() || !b.defined[root_it->second])
    throw Error("grammar: no rule named '" + std::string(root) + "' to start from");
  root_ = root_it->second;
  rule_names_ = b.names;
  classes_ = std::move(b.classes);
  for (const auto& cls : classes_)
    class_min_bytes_.push_back(cls.empty() ? static_cast<uint32_t>(kInfinite) : utf8_length(cls.front().lo));
  rule_alts_.resize(b.alts.size());
  for (size_t r = 0; r < b.alts.size(); ++r) {
    for (const auto& seq : b.alts[r]) {
      rule_alts_[r].push_back(static_cast<uint32_t>(elements_.size()));
      elements_.insert(elements_.end(), seq.begin(), seq.end());
      elements_.push_back({ElemType::End, 0});
    }
  }
  compute_min_lengths();
  check_left_recursion();
}

void Grammar::compute_min_lengths() {
  auto element_min = [&](const Element& e) -> uint64_t {
    return e.type == ElemType::Char ? class_min_bytes_[e.value] : rule_min_[e.value];
  };
  // Knuth's generalisation of Dijkstra: an alternative costs at least as much as each rule in it,
  // so the cheapest pending value is final when it leaves the queue. Relaxing every rule until
  // nothing changes needs one pass per link of a rule chain: quadratic on a hostile grammar.
  struct Alt {
    uint32_t rule;
    uint32_t unresolved;  // rule references whose length is not yet known
    uint64_t sum;         // of the known ones
  };
  const size_t n = rule_alts_.size();
  std::vector<Alt> alts;
  std::vector<std::vector<uint32_t>> used_in(n);  // rule -> alternatives referencing it, once per reference
  for (size_t r = 0; r < n; ++r)
    for (uint32_t start : rule_alts_[r]) {
      Alt a{static_cast<uint32_t>(r), 0, 0};
      for (uint32_t p = start; elements_[p].type != ElemType::End; ++p) {
        if (elements_[p].type == ElemType::Char) {
          a.sum = saturating_add(a.sum, class_min_bytes_[elements_[p].value]);
        } else {
          ++a.unresolved;
          used_in[elements_[p].value].push_back(static_cast<uint32_t>(alts.size()));
        }
      }
      alts.push_back(a);
    }
  using Pending = std::pair<uint64_t, uint32_t>;  // (length, rule)
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> queue;
  for (const Alt& a : alts)
    if (a.unresolved == 0) queue.push({a.sum, a.rule});
  rule_min_.assign(n, kInfinite);
  std::vector<bool> settled(n, false);
  while (!queue.empty()) {
    const auto [len, r] = queue.top();
    queue.pop();
    if (settled[r]) continue;
    settled[r] = true;
    rule_min_[r] = len;
    for (uint32_t k : used_in[r]) {
      Alt& a = alts[k];
      a.sum = saturating_add(a.sum, len);
      if (--a.unresolved == 0) queue.push({a.sum, a.rule});
    }
  }
  for (size_t r = 0; r < rule_alts_.size(); ++r)
    if (rule_min_[r] >= kInfinite)
      throw Error("grammar: rule '" + rule_names_[r] + "' can never finish (every alternative recurses or matches nothing)");
  suffix_min_.assign(elements_.size(), 0);
  for (size_t p = elements_.size(); p-- > 0;)
    if (elements_[p].type != ElemType::End) suffix_min_[p] = saturating_add(element_min(elements_[p]), suffix_min_[p + 1]);
}

void Grammar::check_left_recursion() const {
  // Edges r -> s where s can be the first thing r matches (only nullable elements before it).
  size_t n = rule_alts_.size();
  std::vector<std::vector<uint32_t>> left(n);
  for (size_t r = 0; r < n; ++r)
    for (uint32_t p : rule_alts_[r])
      for (; elements_[p].type == ElemType::Rule; ++p) {
        left[r].push_back(elements_[p].value);
        if (rule_min_[elements_[p].value] != 0) break;
      }
  // Iterative DFS with colours: 0 unvisited, 1 on the path, 2 done.
  std::vector<uint8_t> colour(n, 0);
  for (size_t start = 0; start < n; ++start) {
    if (colour[start]) continue;
    std::vector<std::pair<uint32_t, size_t>> path{{static_cast<uint32_t>(start), 0}};
    colour[start] = 1;
    while (!path.empty()) {
      auto& [r, i] = path.back();
      if (i == left[r].size()) {
        colour[r] = 2;
        path.pop_back();
        continue;
      }
      uint32_t s = left[r][i++];
      if (colour[s] == 1) throw Error("grammar: left recursion through rule '" + rule_names_[s] + "'");
      if (colour[s] == 0) {
        colour[s] = 1;
        path.push_back({s, 0});
      }
    }
  }
}

}  // namespace airlock::grammar
