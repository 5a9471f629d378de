#include "rag/chunker.h"

#include <algorithm>
#include <deque>

namespace airlock::rag {

namespace {

// A block, or a part of one that alone is over the limit: the unit chunks are packed from.
struct Piece {
  std::string text;
  size_t tokens = 0;
  int line_first = 0, line_last = 0;
};

// Splits `text` after each occurrence of a separator class, keeping separators with the part before.
std::vector<std::string_view> split_after(std::string_view text, bool (*is_end)(std::string_view, size_t)) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i)
    if (is_end(text, i)) {
      parts.push_back(text.substr(start, i + 1 - start));
      start = i + 1;
    }
  if (start < text.size()) parts.push_back(text.substr(start));
  return parts;
}

bool line_end(std::string_view t, size_t i) { return t[i] == '\n'; }
bool sentence_end(std::string_view t, size_t i) {
  return (t[i] == '.' || t[i] == '!' || t[i] == '?' || t[i] == ';') && i + 1 < t.size() && (t[i + 1] == ' ' || t[i + 1] == '\n');
}
bool word_end(std::string_view t, size_t i) { return t[i] == ' ' || t[i] == '\n' || t[i] == '\t'; }

class Splitter {
 public:
  // A block over `max` tokens is cut into pieces of about `piece` tokens: small enough that the
  // overlap between chunks can be made of whole pieces.
  Splitter(const TokenCounter& count, size_t max, size_t piece) : count_(count), max_(max), piece_(piece) {}

  // `text` starts on `line`; appends pieces of at most max_ tokens (a single word over the limit
  // is cut by bytes at a UTF-8 boundary as the last resort).
  void split(std::string_view text, int line, int line_last, std::vector<Piece>& out, int level = 0) {
    const size_t tokens = count_(text);
    if (tokens <= max_ || text.size() <= 1) {
      out.push_back({std::string(text), tokens, line, line_last});
      return;
    }
    static constexpr bool (*kLevels[])(std::string_view, size_t) = {line_end, sentence_end, word_end};
    std::vector<std::string_view> parts;
    if (level < 3) parts = split_after(text, kLevels[level]);
    else parts = halves(text);
    if (parts.size() <= 1) return split(text, line, line_last, out, level + 1);
    // Greedy packing of the parts into pieces; a part over the limit is split one level finer.
    std::string cur;
    size_t cur_tokens = 0;
    int cur_first = line, at = line;
    auto emit = [&] {
      if (!cur.empty()) out.push_back({cur, cur_tokens, cur_first, std::max(cur_first, at)});
      cur.clear();
      cur_tokens = 0;
    };
    for (std::string_view p : parts) {
      const int newlines = static_cast<int>(std::count(p.begin(), p.end(), '\n'));
      const size_t t = count_(p);
      if (t > piece_) {
        emit();
        split_finer(p, at, at + newlines, out, level + 1);
      } else {
        if (cur_tokens + t > piece_) emit();
        if (cur.empty()) cur_first = at;
        cur.append(p);
        cur_tokens += t;
      }
      at += newlines;
    }
    emit();
  }

 private:
  static std::vector<std::string_view> halves(std::string_view text) {
    size_t mid = text.size() / 2;
    while (mid > 0 && (static_cast<unsigned char>(text[mid]) & 0xC0) == 0x80) --mid;
    if (mid == 0) return {text};
    return {text.substr(0, mid), text.substr(mid)};
  }
  // A part over the piece size: split at the next level even when it is under max_.
  void split_finer(std::string_view text, int line, int line_last, std::vector<Piece>& out, int level) {
    const size_t saved = max_;
    max_ = piece_;
    split(text, line, line_last, out, level);
    max_ = saved;
  }
  const TokenCounter& count_;
  size_t max_;
  size_t piece_;
};

std::string heading_path(const std::vector<std::pair<int, std::string>>& stack) {
  std::string out;
  for (const auto& [level, title] : stack) {
    if (!out.empty()) out += " > ";
    out += title;
  }
  return out;
}

}  // namespace

std::vector<Chunk> chunk_document(const ParsedDocument& doc, const TokenCounter& count, const ChunkOptions& opts) {
  const size_t max = std::max<size_t>(opts.max_tokens, 8);
  const size_t overlap = std::min(opts.overlap_tokens, max / 2);
  Splitter splitter(count, max, std::max<size_t>({overlap, max / 4, 1}));
  std::vector<Chunk> chunks;
  std::vector<std::pair<int, std::string>> headings;  // (level, title) of the enclosing sections
  std::deque<Piece> cur;                              // pieces of the chunk being built
  size_t cur_tokens = 0;
  size_t fresh = 0;  // pieces in `cur` not yet emitted in an earlier chunk
  int page = 0;

  auto emit = [&](bool keep_overlap) {
    if (fresh > 0) {
      Chunk c;
      c.heading = heading_path(headings);
      c.page = page;
      c.tokens = cur_tokens;
      for (const Piece& p : cur) {
        if (!c.text.empty()) c.text += "\n\n";
        c.text += p.text;
        if (p.line_first && (c.line_first == 0 || p.line_first < c.line_first)) c.line_first = p.line_first;
        c.line_last = std::max(c.line_last, p.line_last);
      }
      chunks.push_back(std::move(c));
    }
    fresh = 0;
    if (!keep_overlap) {
      cur.clear();
      cur_tokens = 0;
      return;
    }
    // Keep the tail that fits in the overlap budget; it opens the next chunk.
    size_t kept = 0, n = 0;
    for (auto it = cur.rbegin(); it != cur.rend() && kept + it->tokens <= overlap; ++it) kept += it->tokens, ++n;
    while (cur.size() > n) cur.pop_front();
    cur_tokens = kept;
  };

  for (const Block& b : doc.blocks) {
    if (b.page != page) {
      emit(false);
      page = b.page;
    }
    if (b.kind == BlockKind::Heading) {
      emit(false);
      while (!headings.empty() && headings.back().first >= b.level) headings.pop_back();
      headings.emplace_back(b.level, b.text);
    }
    std::vector<Piece> pieces;
    splitter.split(b.text, b.line_first, b.line_last, pieces);
    for (Piece& p : pieces) {
      // Overlap from the previous chunk gives way to new text when both do not fit.
      while (cur_tokens + p.tokens > max && !cur.empty() && fresh == 0) {
        cur_tokens -= cur.front().tokens;
        cur.pop_front();
      }
      if (cur_tokens + p.tokens > max) emit(true);
      while (cur_tokens + p.tokens > max && !cur.empty()) {
        cur_tokens -= cur.front().tokens;
        cur.pop_front();
      }
      cur_tokens += p.tokens;
      cur.push_back(std::move(p));
      ++fresh;
    }
  }
  emit(false);
  return chunks;
}

}  // namespace airlock::rag
