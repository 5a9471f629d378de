#include "tokenizer/special_split.h"

namespace airlock::tokenizer {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Splits one raw fragment on every occurrence of `piece`, appending to out.
void split_fragment(std::string_view raw, int32_t id, std::string_view piece, uint32_t attr,
                    std::vector<Fragment>& out) {
  while (!raw.empty()) {
    const size_t at = raw.find(piece);
    if (at == std::string_view::npos) {
      out.push_back({-1, raw});
      return;
    }
    std::string_view left = raw.substr(0, at);
    if (attr & kAttrLstrip)
      while (!left.empty() && is_space(left.back())) left.remove_suffix(1);
    if (!left.empty()) out.push_back({-1, left});
    out.push_back({id, piece});
    raw.remove_prefix(at + piece.size());
    if (attr & kAttrRstrip)
      while (!raw.empty() && is_space(raw.front())) raw.remove_prefix(1);
  }
}

}  // namespace

std::vector<Fragment> split_special(const Vocab& vocab, std::string_view text, bool parse_special) {
  std::vector<Fragment> frags;
  if (text.empty()) return frags;
  frags.push_back({-1, text});
  std::vector<Fragment> next;
  for (int32_t id : vocab.special) {
    const uint32_t attr = vocab.attr[id];
    if (!parse_special && (attr & (kAttrControl | kAttrUnknown))) continue;
    const std::string& piece = vocab.text[id];
    if (piece.empty()) continue;  // would match everywhere
    next.clear();
    for (const Fragment& f : frags) {
      if (f.token >= 0 || f.text.find(piece) == std::string_view::npos)
        next.push_back(f);
      else
        split_fragment(f.text, id, piece, attr, next);
    }
    frags.swap(next);
  }
  return frags;
}

}  // namespace airlock::tokenizer
