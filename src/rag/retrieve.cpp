#include "rag/retrieve.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "rag/stage_timer.h"

namespace airlock::rag {

namespace {
constexpr double kRrfK = 60;
}

std::vector<SearchHit> search(Collection& c, const SearchIndex& indexes, std::span<const float> query_vector,
                              const std::string& query_text, const SearchOptions& opts, SearchTimings* timings) {
  const auto stage = [&](SearchTimings::Stage SearchTimings::*s) { return timings ? &(timings->*s) : nullptr; };
  const VectorIndex& index = indexes.vectors;
  const size_t pool = std::max(opts.candidates, opts.k);
  std::map<int64_t, SearchHit> by_id;
  if (opts.mode != SearchMode::Vector) {
    std::vector<std::string> words;
    {
      StageTimer t(stage(&SearchTimings::words));
      words = c.terms(query_text);
    }
    StageTimer t(stage(&SearchTimings::bm25));
    const auto bm = indexes.terms.search(words, pool, opts.path_prefix);
    for (size_t i = 0; i < bm.size(); ++i) {
      SearchHit& h = by_id[bm[i].chunk_id];
      h.bm25_rank = static_cast<int>(i + 1);
      h.bm25 = bm[i].score;
      h.score += opts.mode == SearchMode::BM25 ? bm[i].score : 1.0 / (kRrfK + static_cast<double>(i + 1));
    }
  }
  const bool have_vectors = index.size() > 0 && !query_vector.empty();
  if (opts.mode != SearchMode::BM25 && have_vectors) {
    StageTimer t(stage(&SearchTimings::vectors));
    VectorIndex::Spread spread;
    const auto vec = index.search(query_vector, pool, opts.path_prefix, &spread);
    // In hybrid mode the vector list counts as much as its best hit stands out from what chance
    // gives: the largest of n similarities of an unrelated query sits near sqrt(2 ln n) standard
    // deviations above their mean. A useless encoder (or an off-topic query) so cannot drown the
    // words' ranking, and a good one counts fully.
    const double chance = std::sqrt(2 * std::log(std::max<double>(static_cast<double>(spread.n), 2)));
    const double weight = std::clamp(spread.top_z - chance, 0.0, 1.0);
    for (size_t i = 0; i < vec.size(); ++i) {
      SearchHit& h = by_id[vec[i].chunk_id];
      h.vector_rank = static_cast<int>(i + 1);
      h.similarity = vec[i].similarity;
      h.score += opts.mode == SearchMode::Vector ? vec[i].similarity : weight / (kRrfK + static_cast<double>(i + 1));
    }
  }
  std::optional<StageTimer> fusing(std::in_place, stage(&SearchTimings::fusion));
  std::vector<std::pair<int64_t, SearchHit>> ranked(by_id.begin(), by_id.end());
  // Ties (equal fused scores) go to the lower chunk id, so results are reproducible.
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second.score > b.second.score; });
  if (ranked.size() > opts.k) ranked.resize(opts.k);
  fusing.reset();
  StageTimer fetching(stage(&SearchTimings::fetch));
  std::vector<int64_t> ids;
  for (const auto& [id, h] : ranked) ids.push_back(id);
  auto rows = c.chunks(ids);
  std::vector<SearchHit> out;
  for (size_t i = 0; i < ranked.size(); ++i) {
    SearchHit& h = ranked[i].second;
    h.chunk = std::move(rows[i]);
    // Not a vector candidate: its similarity still tells the caller how close it is.
    if (h.vector_rank == 0 && have_vectors) h.similarity = index.similarity(ids[i], query_vector);
    out.push_back(std::move(h));
  }
  return out;
}

bool relevant(const std::vector<SearchHit>& hits, double min_similarity) {
  return std::any_of(hits.begin(), hits.end(),
                     [&](const SearchHit& h) { return h.bm25_rank > 0 || h.similarity >= min_similarity; });
}

}  // namespace airlock::rag
