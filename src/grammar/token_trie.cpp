#include "grammar/token_trie.h"

#include <algorithm>
#include <numeric>

#include "airlock/error.h"

namespace airlock::grammar {

TokenTrie::TokenTrie(const std::vector<std::string>& pieces, const std::vector<int32_t>& end_tokens,
                     const std::vector<int32_t>& control_tokens)
    : pieces_(pieces), is_end_(pieces.size(), false), is_text_(pieces.size(), false) {
  std::vector<bool> excluded(pieces.size(), false);
  auto check = [&](int32_t id, const char* what) {
    if (id < 0 || static_cast<size_t>(id) >= pieces.size())
      throw Error(std::string("token trie: ") + what + " id " + std::to_string(id) + " outside the vocabulary of " +
                  std::to_string(pieces.size()));
  };
  for (int32_t id : end_tokens) {
    check(id, "end token");
    excluded[id] = true;
    if (!is_end_[id]) end_tokens_.push_back(id);
    is_end_[id] = true;
  }
  for (int32_t id : control_tokens) {
    check(id, "control token");
    excluded[id] = true;
  }
  std::vector<int32_t> order;
  for (size_t id = 0; id < pieces.size(); ++id) {
    if (excluded[id] || pieces[id].empty()) continue;
    if (pieces[id].size() > 65535) throw Error("token trie: token " + std::to_string(id) + " is longer than 65535 bytes");
    order.push_back(static_cast<int32_t>(id));
    is_text_[id] = true;
  }
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return pieces[a] < pieces[b]; });
  // Sorted pieces share prefixes with their predecessor: only the bytes past the common prefix
  // open new nodes, which yields depth-first order directly.
  const std::string* prev = nullptr;
  for (int32_t id : order) {
    const std::string& p = pieces[id];
    size_t common = 0;
    if (prev) {
      size_t n = std::min(prev->size(), p.size());
      while (common < n && (*prev)[common] == p[common]) ++common;
    }
    for (size_t d = common; d < p.size(); ++d) {
      Node node;
      node.byte = static_cast<uint8_t>(p[d]);
      node.depth = static_cast<uint16_t>(d + 1);
      node.tok_begin = node.tok_end = static_cast<uint32_t>(token_ids_.size());
      nodes_.push_back(node);
    }
    // The node that ends this piece is the last one created (or, for a duplicate piece, the one
    // that ended the previous piece).
    token_ids_.push_back(id);
    nodes_.back().tok_end = static_cast<uint32_t>(token_ids_.size());
    max_depth_ = std::max(max_depth_, p.size());
    prev = &p;
  }
  // skip[i]: the first later node no deeper than node i.
  std::vector<uint32_t> open;
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    while (!open.empty() && nodes_[open.back()].depth >= nodes_[i].depth) {
      nodes_[open.back()].skip = i;
      open.pop_back();
    }
    open.push_back(i);
  }
  for (uint32_t i : open) nodes_[i].skip = static_cast<uint32_t>(nodes_.size());
}

}  // namespace airlock::grammar
