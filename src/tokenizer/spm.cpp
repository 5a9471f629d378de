#include "tokenizer/spm.h"

#include <queue>
#include <string>
#include <unordered_map>

#include "tokenizer/utf8.h"

namespace airlock::tokenizer {

namespace {

struct Symbol {
  int32_t prev, next;
  size_t offset, len;  // into the text; len 0 once merged into its left neighbour
};

struct Bigram {
  float score;
  int32_t left, right;
  size_t len;
  // Highest score first, leftmost among equal scores.
  bool operator<(const Bigram& o) const {
    return score != o.score ? score < o.score : left > o.left;
  }
};

}  // namespace

std::string escape_spaces(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  for (char c : text) {
    if (c == ' ')
      out += "\xe2\x96\x81";
    else
      out += c;
  }
  return out;
}

namespace {
constexpr std::string_view kSpace = "\xe2\x96\x81";
}  // namespace

SpmTokenizer::SpmTokenizer(const Vocab& vocab) : vocab_(vocab) {
  for (const std::string& t : vocab.text) {
    std::string_view prev;
    for (size_t off = 0; off < t.size();) {
      const size_t len = std::min(utf8_len_from_lead(static_cast<uint8_t>(t[off])), t.size() - off);
      const std::string_view cur = std::string_view(t).substr(off, len);
      if (cur == kSpace && !prev.empty() && prev != kSpace) joins_space_.emplace(prev);
      prev = cur;
      off += len;
    }
  }
}

void SpmTokenizer::encode(std::string_view text, std::vector<int32_t>& out) const {
  std::unordered_map<std::string_view, std::pair<uint32_t, uint32_t>> seen;
  std::vector<int32_t> done;
  auto flush = [&](std::string_view seg) {
    auto it = seen.find(seg);
    if (it == seen.end()) {
      const auto start = static_cast<uint32_t>(done.size());
      encode_segment(seg, done);
      it = seen.emplace(seg, std::make_pair(start, static_cast<uint32_t>(done.size()) - start)).first;
    }
    out.insert(out.end(), done.begin() + it->second.first,
               done.begin() + it->second.first + it->second.second);
  };
  size_t seg_start = 0;
  std::string_view prev;
  for (size_t off = 0; off < text.size();) {
    const size_t len = std::min(utf8_len_from_lead(static_cast<uint8_t>(text[off])), text.size() - off);
    const std::string_view cur = text.substr(off, len);
    if (cur == kSpace && !prev.empty() && prev != kSpace && !joins_space_.contains(prev)) {
      flush(text.substr(seg_start, off - seg_start));
      seg_start = off;
    }
    prev = cur;
    off += len;
  }
  if (seg_start < text.size()) flush(text.substr(seg_start));
}

void SpmTokenizer::encode_segment(std::string_view text, std::vector<int32_t>& out) const {
  std::vector<Symbol> sym;
  for (size_t off = 0; off < text.size();) {
    const size_t len = std::min(utf8_len_from_lead(static_cast<uint8_t>(text[off])), text.size() - off);
    const auto idx = static_cast<int32_t>(sym.size());
    sym.push_back({idx - 1, off + len == text.size() ? -1 : idx + 1, off, len});
    off += len;
  }
  if (sym.empty()) return;

  std::priority_queue<Bigram> queue;
  auto consider = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    const std::string_view piece = text.substr(sym[l].offset, sym[l].len + sym[r].len);
    const int32_t id = vocab_.find(piece);
    if (id < 0) return;
    queue.push({vocab_.score[id], l, r, piece.size()});
  };
  for (int32_t i = 1; i < static_cast<int32_t>(sym.size()); ++i) consider(i - 1, i);

  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& l = sym[b.left];
    Symbol& r = sym[b.right];
    if (l.len == 0 || r.len == 0 || l.len + r.len != b.len) continue;  // stale
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) sym[r.next].prev = b.left;
    consider(l.prev, b.left);
    consider(b.left, l.next);
  }

  // Merged symbols are tokens by construction; a single character that is not one falls back to
  // its bytes.
  for (int32_t i = 0; i >= 0; i = sym[i].next) {
    const std::string_view piece = text.substr(sym[i].offset, sym[i].len);
    if (int32_t id = vocab_.find(piece); id >= 0) {
      out.push_back(id);
      continue;
    }
    for (char c : piece) {
      const int32_t id = vocab_.byte_token[static_cast<uint8_t>(c)];
      if (id >= 0)
        out.push_back(id);
      else if (vocab_.unk >= 0)
        out.push_back(vocab_.unk);
    }
  }
}

}  // namespace airlock::tokenizer
