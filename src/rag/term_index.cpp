#include "rag/term_index.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <unordered_map>

namespace airlock::rag {

namespace {

constexpr double kK1 = 1.2, kB = 0.75;  // FTS5's bm25() constants

void put_varint(std::vector<uint8_t>& out, uint32_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

uint32_t get_varint(const uint8_t*& p) {
  uint32_t v = 0;
  for (int shift = 0;; shift += 7) {
    const uint8_t b = *p++;
    v |= static_cast<uint32_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
}

}  // namespace

TermIndex::TermIndex(Collection& c) {
  const auto file = c.dir() / "terms.idx";
  const int64_t generation = c.generation();
  if (load(file, generation)) {
    loaded_ = true;
    return;
  }
  build(c);
  save(file, generation);
}

void TermIndex::build(Collection& c) {
  // Postings are appended per term while rows arrive in order, then packed into one buffer.
  struct Building {
    std::vector<uint8_t> bytes;
    uint32_t last_row = 0;
    uint32_t chunks = 0;
  };
  std::unordered_map<std::string, Building> building;
  std::unordered_map<std::string, uint32_t> path_ids;
  std::unordered_map<std::string_view, uint32_t> counts;  // the current chunk's terms
  std::vector<std::string> row_terms;
  uint64_t total_length = 0;
  c.each_chunk_terms([&](int64_t id, const std::string& path, const std::vector<std::string>& terms) {
    const auto row = static_cast<uint32_t>(ids_.size());
    auto [pit, added] = path_ids.emplace(path, static_cast<uint32_t>(paths_.size()));
    if (added) paths_.push_back(path);
    ids_.push_back(id);
    path_of_.push_back(pit->second);
    length_.push_back(static_cast<uint32_t>(terms.size()));
    total_length += terms.size();
    counts.clear();
    for (const auto& t : terms) ++counts[t];
    for (const auto& [term, n] : counts) {
      Building& b = building[std::string(term)];
      put_varint(b.bytes, b.chunks == 0 ? row : row - b.last_row);
      put_varint(b.bytes, n);
      b.last_row = row;
      ++b.chunks;
      ++postings_;
    }
  });
  size_t total_bytes = 0;
  for (const auto& [t, b] : building) total_bytes += b.bytes.size();
  bytes_.reserve(total_bytes);
  terms_.reserve(building.size());
  for (auto& [t, b] : building) {
    terms_[t] = {bytes_.size(), b.bytes.size(), b.chunks};
    bytes_.insert(bytes_.end(), b.bytes.begin(), b.bytes.end());
    std::vector<uint8_t>().swap(b.bytes);
  }
  mean_length_ = ids_.empty() ? 0 : static_cast<double>(total_length) / static_cast<double>(ids_.size());
}

std::vector<BM25Hit> TermIndex::search(const std::vector<std::string>& query_terms, size_t limit,
                                       const std::string& path_prefix) const {
  std::vector<BM25Hit> out;
  const size_t n = ids_.size();
  if (n == 0 || limit == 0) return out;
  std::vector<const Term*> found;
  for (const auto& t : query_terms)
    if (const auto it = terms_.find(t); it != terms_.end()) found.push_back(&it->second);
  if (found.empty()) return out;
  std::vector<const Term*> kept;
  for (const Term* t : found)
    if (uint64_t{t->chunks} * 2 <= n) kept.push_back(t);
  if (kept.empty())
    kept.push_back(*std::min_element(found.begin(), found.end(),
                                     [](const Term* a, const Term* b) { return a->chunks < b->chunks; }));

  // Term at a time into one score per row: every kept posting is read once, in memory order. The
  // scores live in this thread's scratch, reused across searches: allocating and zeroing one per
  // query (4 MB at a million chunks) and then scanning every row cost as much as the scoring.
  // Only the rows a query touched are visited, and cleared again however the search ends.
  thread_local std::vector<float> score;
  thread_local std::vector<uint32_t> touched;
  if (score.size() < n) score.assign(n, 0.0f);
  touched.clear();
  struct Clear {
    ~Clear() {
      for (const uint32_t r : touched) score[r] = 0;
    }
  } clear;
  for (const Term* t : kept) {
    const double df = t->chunks;
    // FTS5's idf, floored the same way for words in more than half of the rows.
    double idf = std::log((static_cast<double>(n) - df + 0.5) / (df + 0.5));
    if (idf <= 0) idf = 1e-6;
    const uint8_t* p = bytes_.data() + t->offset;
    const uint8_t* end = p + t->length;
    uint32_t row = 0;
    for (bool first = true; p < end; first = false) {
      const uint32_t gap = get_varint(p);
      row = first ? gap : row + gap;
      const double tf = get_varint(p);
      const double norm = kK1 * (1 - kB + kB * length_[row] / mean_length_);
      float& s = score[row];
      if (s == 0) touched.push_back(row);
      s += static_cast<float>(idf * tf * (kK1 + 1) / (tf + norm));
      if (s == 0) touched.pop_back();  // a zero count (only a damaged index has one) adds nothing
    }
  }

  std::vector<char> allowed(paths_.size(), 1);
  if (!path_prefix.empty())
    for (size_t p = 0; p < paths_.size(); ++p) allowed[p] = paths_[p].starts_with(path_prefix);
  // The best `limit` rows; equal scores go to the lower chunk id, so results are reproducible.
  auto worse = [&](uint32_t a, uint32_t b) { return score[a] > score[b] || (score[a] == score[b] && ids_[a] < ids_[b]); };
  std::priority_queue<uint32_t, std::vector<uint32_t>, decltype(worse)> best(worse);
  for (const uint32_t r : touched) {
    if (!allowed[path_of_[r]]) continue;
    if (best.size() < limit) best.push(r);
    else if (worse(r, best.top())) {
      best.pop();
      best.push(r);
    }
  }
  out.resize(best.size());
  for (size_t i = best.size(); i-- > 0; best.pop()) out[i] = {ids_[best.top()], score[best.top()]};
  return out;
}

}  // namespace airlock::rag
