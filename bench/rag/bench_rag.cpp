// How one collection behaves at scale, without an embedding model: N synthetic chunks (words drawn
// from a Zipf-distributed vocabulary, unit vectors from one of two models, below) written through
// Collection::replace_document like ingestion does, then the index built, saved, loaded again and
// hybrid queries run (BM25 + vector + fusion + chunk fetch; the query's embedding is not part of
// it: queries reuse a chunk's vector plus noise and three of its words).
//
//   bench_rag --chunks 100000 [--dim 384] [--queries 200] [--vectors uniform|clustered]
//             [--dir DIR] [--keep]
//
// Vectors (each document of 50 chunks has one topic):
//   uniform    1,000 random unit topic centres; a chunk is its centre plus N(0, 0.08²) per
//              dimension, normalised. The noise (norm ~1.6) outweighs the centre, so the points are
//              near-uniform on the sphere: the hardest case for a graph index.
//   clustered  closer to real sentence embeddings, which are anisotropic and of low intrinsic
//              dimension: a chunk is normalise(4·m + B(t + 0.5·e) + 0.05·n), with m one shared unit
//              direction, B a fixed random 384x48 matrix (N(0, 1/384) entries), t its topic's point
//              in 48 dimensions (N(0, 1), 2,000 topics), e ~ N(0, I48) and n ~ N(0, I384).
// Queries: a chunk's vector plus N(0, 0.02²) per dimension, normalised (either model).
//
// With --dir DIR --keep the collection stays in DIR/bench; a later run with the same arguments
// and --dir reuses it (the generator is seeded, so its queries are the same) instead of writing it
// again.
//
// Prints one JSON object: write seconds, disk bytes, graph and term index build seconds, index load
// seconds (both loaded from their files), RSS, per-query wall and CPU p50/p99 (ms) for hybrid and
// for each of its stages, BM25 alone (its 50 candidates), vector (through the HNSW graph from
// VectorIndex::kAnnThreshold chunks on) and exact vector search, and the graph's recall@10 against
// exact search at several search breadths.
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "rag/collection.h"
#include "rag/retrieve.h"
#include "rag/search_index.h"

namespace {

using namespace airlock::rag;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double process_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return 0;
}

void normalize(std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += double(x) * x;
  const float inv = static_cast<float>(1 / std::sqrt(std::max(s, 1e-20)));
  for (float& x : v) x *= inv;
}

class Corpus {
 public:
  Corpus(size_t dim, bool clustered, size_t vocab) : dim_(dim), clustered_(clustered) {
    std::normal_distribution<float> g;
    if (clustered_) {
      mean_.resize(dim_);
      for (float& x : mean_) x = g(rng);
      normalize(mean_);
      basis_.resize(dim_ * kRank);
      std::normal_distribution<float> b(0, 1 / std::sqrt(static_cast<float>(dim_)));
      for (float& x : basis_) x = b(rng);
    }
    const size_t topics = clustered_ ? 2000 : 1000, width = clustered_ ? kRank : dim_;
    for (size_t t = 0; t < topics; ++t) {
      std::vector<float> c(width);
      for (float& x : c) x = g(rng);
      if (!clustered_) normalize(c);
      topics_.push_back(std::move(c));
    }
    double sum = 0;
    for (size_t i = 1; i <= vocab; ++i) zipf_cdf_.push_back(sum += 1.0 / static_cast<double>(i));
    for (double& x : zipf_cdf_) x /= sum;
  }
  size_t topics() const { return topics_.size(); }
  std::string word() {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return "w" + std::to_string(std::lower_bound(zipf_cdf_.begin(), zipf_cdf_.end(), u) - zipf_cdf_.begin());
  }
  std::vector<float> chunk_vector(size_t topic) {
    const auto& t = topics_[topic];
    if (!clustered_) return near(t, 0.08f);
    std::normal_distribution<float> g;
    std::vector<float> z(kRank), v(dim_);
    for (size_t r = 0; r < kRank; ++r) z[r] = t[r] + 0.5f * g(rng);
    for (size_t d = 0; d < dim_; ++d) {
      float s = 4 * mean_[d] + 0.05f * g(rng);
      for (size_t r = 0; r < kRank; ++r) s += basis_[d * kRank + r] * z[r];
      v[d] = s;
    }
    normalize(v);
    return v;
  }
  std::vector<float> near(const std::vector<float>& centre, float noise) {
    std::normal_distribution<float> g(0, noise);
    std::vector<float> v = centre;
    for (float& x : v) x += g(rng);
    normalize(v);
    return v;
  }
  std::mt19937_64 rng{42};

 private:
  static constexpr size_t kRank = 48;
  size_t dim_;
  bool clustered_;
  std::vector<float> mean_, basis_;
  std::vector<std::vector<float>> topics_;
  std::vector<double> zipf_cdf_;
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

nlohmann::json p50_p99(const std::vector<double>& v) {
  return {{"p50", percentile(v, 0.5)}, {"p99", percentile(v, 0.99)}};
}

// Wall and CPU milliseconds of many runs of one thing.
struct Times {
  std::vector<double> wall, cpu;
  void add(double w, double c) { wall.push_back(w), cpu.push_back(c); }
  void add(const SearchTimings::Stage& s) { add(s.wall_ms, s.cpu_ms); }
  nlohmann::json json() const { return {{"wall", p50_p99(wall)}, {"cpu", p50_p99(cpu)}}; }
};

template <typename Fn>
auto timed(Times& into, Fn&& fn) {
  const auto w = Clock::now();
  const double c = thread_cpu_ms();
  auto r = fn();
  into.add(seconds_since(w) * 1000, thread_cpu_ms() - c);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 100000, dim = 384, queries = 200, per_doc = 50;
  fs::path dir;
  bool keep = false, clustered = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--chunks") n = std::stoul(next());
    else if (a == "--dim") dim = std::stoul(next());
    else if (a == "--queries") queries = std::stoul(next());
    else if (a == "--dir") dir = next();
    else if (a == "--keep") keep = true;
    else if (a == "--vectors" && (i + 1 < argc)) {
      const std::string v = next();
      if (v != "uniform" && v != "clustered") return std::fprintf(stderr, "--vectors: uniform or clustered\n"), 2;
      clustered = v == "clustered";
    } else {
      std::fprintf(stderr, "usage: bench_rag [--chunks N] [--dim D] [--queries Q] [--vectors uniform|clustered] "
                           "[--dir DIR] [--keep]\n");
      return 2;
    }
  }
  if (dir.empty()) dir = fs::temp_directory_path() / ("airlock-bench-rag-" + std::to_string(::getpid()));
  const fs::path cdir = dir / "bench";
  fs::create_directories(dir);
  const bool reuse = fs::exists(cdir / "collection.db");
  if (!reuse) Collection::create(cdir, {.embed_model = "synthetic", .chunk_tokens = 400, .overlap_tokens = 60});
  Collection c(cdir);
  Corpus corpus(dim, clustered, 20000);
  std::uniform_int_distribution<size_t> topic(0, corpus.topics() - 1);

  // Write: one document of `per_doc` chunks per transaction, as ingestion writes a file. A reused
  // collection is generated again (same seed) for its queries, but not written.
  std::vector<std::vector<std::string>> sample_words;  // three words of every (n / queries)th chunk
  std::vector<std::vector<float>> sample_vectors;
  const auto write_start = Clock::now();
  for (size_t done = 0, doc = 0; done < n; ++doc) {
    const size_t count = std::min(per_doc, n - done);
    std::vector<Chunk> chunks(count);
    std::vector<std::vector<float>> vectors(count);
    const size_t t = topic(corpus.rng);
    for (size_t i = 0; i < count; ++i) {
      std::vector<std::string> words;
      for (int w = 0; w < 60; ++w) words.push_back(corpus.word());
      for (const auto& w : words) chunks[i].text += w + " ";
      chunks[i].line_first = static_cast<int>(i * 10 + 1);
      chunks[i].line_last = static_cast<int>(i * 10 + 10);
      chunks[i].tokens = words.size();
      vectors[i] = corpus.chunk_vector(t);
      if ((done + i) % std::max<size_t>(n / queries, 1) == 0 && sample_words.size() < queries) {
        sample_words.push_back({words[3], words[17], words[41]});
        sample_vectors.push_back(corpus.near(vectors[i], 0.02f));
      }
    }
    DocumentRecord rec{.path = "docs/" + std::to_string(doc) + ".txt", .hash = "sha256:" + std::to_string(doc),
                       .format = "text"};
    if (!reuse) c.replace_document(rec, chunks, vectors);
    done += count;
  }
  const double write_s = seconds_since(write_start);
  const auto stats = c.stats();
  if (static_cast<size_t>(stats.chunks) != n) {
    std::fprintf(stderr, "%s holds %lld chunks, not %zu: use another --dir\n", cdir.c_str(),
                 static_cast<long long>(stats.chunks), n);
    return 1;
  }

  // Build (or, reused, load) and save both indexes, then load them as a server would.
  auto t0 = Clock::now();
  double cpu0 = process_cpu_s();
  std::optional<VectorIndex> first(std::in_place, c);
  const double graph_s = seconds_since(t0), graph_cpu_s = process_cpu_s() - cpu0;
  first.reset();
  t0 = Clock::now();
  std::optional<TermIndex> words(std::in_place, c);
  const double terms_s = seconds_since(t0);
  const size_t postings = words->postings();
  words.reset();
  const long rss_before = rss_kib();
  t0 = Clock::now();
  const SearchIndex index(c);
  const double load_s = seconds_since(t0);
  const long rss_index = rss_kib() - rss_before;
  if (!index.terms.loaded()) std::fprintf(stderr, "warning: the term index was built, not loaded\n");
  const VectorIndex exact(c, std::numeric_limits<size_t>::max());

  Times hybrid, bm25, vector, exact_t;
  struct {
    Times words, bm25, vectors, fusion, fetch;
  } stages;
  const std::vector<size_t> breadths = {50, 100, 200, 400, 800};
  std::vector<double> recall(breadths.size());
  double recall_default = 0;
  const auto recall_of = [](const std::vector<VectorHit>& truth, const std::vector<VectorHit>& got) {
    size_t found = 0;
    for (const auto& x : truth)
      for (const auto& y : got) found += x.chunk_id == y.chunk_id;
    return static_cast<double>(found) / static_cast<double>(truth.size());
  };
  std::vector<Times> by_breadth(breadths.size());
  for (size_t q = 0; q < sample_words.size(); ++q) {
    const std::string text = sample_words[q][0] + " " + sample_words[q][1] + " " + sample_words[q][2];
    SearchTimings st;
    const auto hits = timed(hybrid, [&] { return search(c, index, sample_vectors[q], text, {.k = 10}, &st); });
    stages.words.add(st.words), stages.bm25.add(st.bm25), stages.vectors.add(st.vectors);
    stages.fusion.add(st.fusion), stages.fetch.add(st.fetch);
    const auto bhits = timed(bm25, [&] { return index.terms.search(c.terms(text), 50, ""); });
    const auto vhits = timed(vector, [&] { return index.vectors.search(sample_vectors[q], 10, ""); });
    const auto truth = timed(exact_t, [&] { return exact.search(sample_vectors[q], 10, ""); });
    for (size_t b = 0; b < breadths.size(); ++b) {
      const auto got = timed(by_breadth[b], [&] { return index.vectors.search(sample_vectors[q], 10, "", nullptr, breadths[b]); });
      recall[b] += recall_of(truth, got);
    }
    recall_default += recall_of(truth, vhits);
    if (hits.empty() || vhits.empty() || bhits.empty()) {
      std::fprintf(stderr, "query %zu found nothing\n", q);
      return 1;
    }
  }
  nlohmann::json sweep = nlohmann::json::array();
  const double nq = static_cast<double>(sample_words.size());
  for (size_t b = 0; b < breadths.size(); ++b)
    sweep.push_back({{"breadth", breadths[b]}, {"recall_at_10", recall[b] / nq}, {"ms", by_breadth[b].json()}});
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  const nlohmann::json out = {
      {"chunks", stats.chunks},
      {"documents", stats.documents},
      {"dim", dim},
      {"vectors", clustered ? "clustered" : "uniform"},
      {"reused_collection", reuse},
      {"write_seconds", write_s},
      {"write_chunks_per_second", static_cast<double>(n) / write_s},
      {"disk_bytes", stats.disk_bytes},
      {"approximate", index.vectors.approximate()},
      {"graph_build_seconds", graph_s},
      {"graph_build_cpu_seconds", graph_cpu_s},
      {"term_index_build_seconds", terms_s},
      {"term_index_postings", postings},
      {"index_load_seconds", load_s},
      {"graph_file_bytes", fs::exists(cdir / "vectors.hnsw") ? fs::file_size(cdir / "vectors.hnsw") : 0},
      {"term_file_bytes", fs::exists(cdir / "terms.idx") ? fs::file_size(cdir / "terms.idx") : 0},
      {"recall_at_10_vs_exact", recall_default / nq},
      {"recall_by_breadth", sweep},
      {"index_rss_kib", rss_index},
      {"max_rss_kib", ru.ru_maxrss},
      {"queries", sample_words.size()},
      {"hybrid_top10_ms", hybrid.json()},
      {"hybrid_stages_ms", {{"words", stages.words.json()}, {"bm25", stages.bm25.json()},
                            {"vectors", stages.vectors.json()}, {"fusion", stages.fusion.json()},
                            {"fetch", stages.fetch.json()}}},
      {"bm25_top50_ms", bm25.json()},
      {"vector_top10_ms", vector.json()},
      {"exact_vector_top10_ms", exact_t.json()}};
  std::printf("%s\n", out.dump(2).c_str());
  if (!keep) fs::remove_all(dir);
  return 0;
}
