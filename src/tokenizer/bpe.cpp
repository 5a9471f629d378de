#include "tokenizer/bpe.h"

#include <airlock/error.h>

#include <queue>
#include <unordered_map>

#include "gguf/gguf.h"
#include "tokenizer/byte_unicode.h"
#include "tokenizer/utf8.h"

namespace airlock::tokenizer {

BpeTokenizer::BpeTokenizer(const Vocab& vocab, const gguf::File& file)
    : vocab_(vocab), pre_(vocab.pre) {
  for (int b = 0; b < 256; ++b) byte_symbol_[b] = intern(byte_to_unicode(static_cast<uint8_t>(b)));
  const gguf::Value* merges = file.find("tokenizer.ggml.merges");
  if (!merges) return;  // no merges: every byte stays a token of its own
  if (merges->type != gguf::ValueType::ARRAY || merges->arr.elem_type() != gguf::ValueType::STRING)
    throw Error(file.path().string() + ": tokenizer.ggml.merges is not an array of strings");
  const auto& items = merges->arr;
  if (items.size() > static_cast<size_t>(INT32_MAX))
    throw Error(file.path().string() + ": tokenizer.ggml.merges is too large");
  merges_.reserve(items.size());
  std::string joined;
  for (size_t rank = 0; rank < items.size(); ++rank) {
    const std::string_view m = items.string_at(rank);
    // The separator is the first space after the first character, so that a merge of a
    // literal space ("  x") still parses.
    const size_t sp = m.size() > 1 ? m.find(' ', 1) : std::string_view::npos;
    if (sp == std::string_view::npos)
      throw Error(file.path().string() + ": tokenizer.ggml.merges[" + std::to_string(rank) +
                  "] = '" + std::string(m.substr(0, 64)) + "' is not 'LEFT RIGHT'");
    const std::string_view left = m.substr(0, sp), right = m.substr(sp + 1);
    joined.assign(left).append(right);
    const int32_t a = intern(left), b = intern(right), r = intern(joined);
    merges_.insert(a, b, {static_cast<int32_t>(rank), r});  // first rank wins
  }
}

int32_t BpeTokenizer::intern(std::string_view s) {
  if (int32_t id = vocab_.find(s); id >= 0) return id;
  if (auto it = extra_id_.find(s); it != extra_id_.end()) return it->second;
  const auto id = static_cast<int32_t>(vocab_.size() + extra_text_.size());
  extra_id_.emplace(std::string(s), id);
  extra_text_.emplace_back(s);
  return id;
}

void BpeTokenizer::emit(int32_t symbol, std::vector<int32_t>& out) const {
  if (symbol < vocab_.size()) {
    out.push_back(symbol);
    return;
  }
  // Not a token: the reference falls back to single-byte tokens of the symbol's text.
  for (char c : extra_text_[symbol - vocab_.size()])
    if (int32_t id = vocab_.find(std::string_view(&c, 1)); id >= 0) out.push_back(id);
}

void BpeTokenizer::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (pre_.ignore_merges()) {
    std::string mapped;
    for (char c : word) mapped += byte_to_unicode(static_cast<uint8_t>(c));
    if (int32_t id = vocab_.find(mapped); id >= 0) {
      out.push_back(id);
      return;
    }
  }
  struct Symbol {
    int32_t id, prev, next;
  };
  std::vector<Symbol> sym(word.size());
  for (size_t i = 0; i < word.size(); ++i)
    sym[i] = {byte_symbol_[static_cast<uint8_t>(word[i])], static_cast<int32_t>(i) - 1,
              i + 1 < word.size() ? static_cast<int32_t>(i + 1) : -1};

  // Candidate merges, lowest rank first and leftmost among equal ranks.
  struct Candidate {
    int32_t rank, left, right, right_id;
    bool operator<(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : left > o.left;
    }
  };
  std::priority_queue<Candidate> queue;
  auto consider = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    if (const auto* m = merges_.find(sym[l].id, sym[r].id)) queue.push({m->rank, l, r, sym[r].id});
  };
  for (int32_t i = 1; i < static_cast<int32_t>(sym.size()); ++i) consider(i - 1, i);

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& l = sym[c.left];
    Symbol& r = sym[c.right];
    // Stale if either side was merged away or the right side grew since.
    if (l.id < 0 || r.id < 0 || l.next != c.right || r.id != c.right_id) continue;
    l.id = merges_.find(l.id, r.id)->result;  // present: the candidate was made from it
    l.next = r.next;
    if (r.next >= 0) sym[r.next].prev = c.left;
    r.id = -1;
    consider(l.prev, c.left);
    consider(c.left, l.next);
  }
  for (int32_t i = 0; i >= 0 && i < static_cast<int32_t>(sym.size()); i = sym[i].next)
    emit(sym[i].id, out);
}

void BpeTokenizer::encode(std::string_view text, std::vector<int32_t>& out) const {
  const std::string clean = utf8_sanitize(text);
  std::vector<std::string_view> words;
  pre_.split(clean, words);
  // Natural text repeats words constantly: remember each word's tokens for this call.
  std::unordered_map<std::string_view, std::pair<uint32_t, uint32_t>> seen;
  std::vector<int32_t> done;
  for (std::string_view w : words) {
    auto it = seen.find(w);
    if (it == seen.end()) {
      const auto start = static_cast<uint32_t>(done.size());
      encode_word(w, done);
      it = seen.emplace(w, std::make_pair(start, static_cast<uint32_t>(done.size()) - start)).first;
    }
    out.insert(out.end(), done.begin() + it->second.first,
               done.begin() + it->second.first + it->second.second);
  }
}

}  // namespace airlock::tokenizer
