// How one collection behaves at scale, without an embedding model: N synthetic chunks (words drawn
// from a Zipf-distributed vocabulary, unit vectors around random topic centres) written through
// Collection::replace_document like ingestion does, then the index loaded and hybrid queries run
// (BM25 + vector + fusion + chunk fetch; the query's embedding is not part of it: queries reuse a
// chunk's vector plus noise and three of its words).
//
//   bench_rag --chunks 100000 [--dim 384] [--queries 200] [--dir /tmp/x] [--keep]
//
// Prints one JSON object: build seconds, disk bytes, graph and term index build seconds, index load
// seconds (graph loaded, term index built), RSS, query p50/p99 (ms) for hybrid, BM25 alone (its
// 50 candidates), vector (through the HNSW graph from VectorIndex::kAnnThreshold chunks on) and
// exact vector search, and the graph's recall@10 against exact search.
#include <sys/resource.h>

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

struct Corpus {
  size_t dim;
  std::mt19937_64 rng{42};
  std::vector<std::vector<float>> centres;
  std::vector<double> zipf_cdf;

  Corpus(size_t d, size_t topics, size_t vocab) : dim(d) {
    std::normal_distribution<float> g;
    for (size_t t = 0; t < topics; ++t) {
      std::vector<float> c(dim);
      for (float& x : c) x = g(rng);
      normalize(c);
      centres.push_back(std::move(c));
    }
    double sum = 0;
    for (size_t i = 1; i <= vocab; ++i) zipf_cdf.push_back(sum += 1.0 / static_cast<double>(i));
    for (double& x : zipf_cdf) x /= sum;
  }
  std::string word() {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return "w" + std::to_string(std::lower_bound(zipf_cdf.begin(), zipf_cdf.end(), u) - zipf_cdf.begin());
  }
  std::vector<float> near(const std::vector<float>& centre, float noise) {
    std::normal_distribution<float> g(0, noise);
    std::vector<float> v = centre;
    for (float& x : v) x += g(rng);
    normalize(v);
    return v;
  }
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 100000, dim = 384, queries = 200, per_doc = 50;
  fs::path dir;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--chunks") n = std::stoul(next());
    else if (a == "--dim") dim = std::stoul(next());
    else if (a == "--queries") queries = std::stoul(next());
    else if (a == "--dir") dir = next();
    else if (a == "--keep") keep = true;
    else {
      std::fprintf(stderr, "usage: bench_rag [--chunks N] [--dim D] [--queries Q] [--dir DIR] [--keep]\n");
      return 2;
    }
  }
  if (dir.empty()) dir = fs::temp_directory_path() / ("airlock-bench-rag-" + std::to_string(::getpid()));
  const fs::path cdir = dir / "bench";
  fs::create_directories(dir);
  Collection::create(cdir, {.embed_model = "synthetic", .chunk_tokens = 400, .overlap_tokens = 60});
  Collection c(cdir);
  Corpus corpus(dim, 1000, 20000);
  std::uniform_int_distribution<size_t> topic(0, corpus.centres.size() - 1);

  // Build: one document of `per_doc` chunks per transaction, as ingestion writes a file.
  std::vector<std::vector<std::string>> sample_words;  // three words of every 1000th chunk
  std::vector<std::vector<float>> sample_vectors;
  const auto build_start = Clock::now();
  for (size_t done = 0, doc = 0; done < n; ++doc) {
    const size_t count = std::min(per_doc, n - done);
    std::vector<Chunk> chunks(count);
    std::vector<std::vector<float>> vectors(count);
    const auto& centre = corpus.centres[topic(corpus.rng)];
    for (size_t i = 0; i < count; ++i) {
      std::vector<std::string> words;
      for (int w = 0; w < 60; ++w) words.push_back(corpus.word());
      for (const auto& w : words) chunks[i].text += w + " ";
      chunks[i].line_first = static_cast<int>(i * 10 + 1);
      chunks[i].line_last = static_cast<int>(i * 10 + 10);
      chunks[i].tokens = words.size();
      vectors[i] = corpus.near(centre, 0.08f);
      if ((done + i) % std::max<size_t>(n / queries, 1) == 0 && sample_words.size() < queries) {
        sample_words.push_back({words[3], words[17], words[41]});
        sample_vectors.push_back(corpus.near(vectors[i], 0.02f));
      }
    }
    DocumentRecord rec{.path = "docs/" + std::to_string(doc) + ".txt", .hash = "sha256:" + std::to_string(doc),
                       .format = "text"};
    c.replace_document(rec, chunks, vectors);
    done += count;
  }
  const double build_s = seconds_since(build_start);
  const auto stats = c.stats();
  const long rss_before = rss_kib();
  auto t0 = Clock::now();
  std::optional<VectorIndex> first(std::in_place, c);  // builds and saves the graph when large enough
  const double index_build_s = seconds_since(t0);
  first.reset();
  t0 = Clock::now();
  std::optional<TermIndex> words(std::in_place, c);
  const double term_build_s = seconds_since(t0);
  const size_t postings = words->postings();
  words.reset();
  t0 = Clock::now();
  const SearchIndex index(c);  // loads the saved graph, builds the term index
  const double load_s = seconds_since(t0);
  const long rss_index = rss_kib() - rss_before;
  const VectorIndex exact(c, std::numeric_limits<size_t>::max());

  std::vector<double> hybrid_ms, bm25_ms, vector_ms, exact_ms;
  double recall_sum = 0;
  for (size_t q = 0; q < sample_words.size(); ++q) {
    const std::string text = sample_words[q][0] + " " + sample_words[q][1] + " " + sample_words[q][2];
    auto t = Clock::now();
    const auto hits = search(c, index, sample_vectors[q], text, {.k = 10});
    hybrid_ms.push_back(seconds_since(t) * 1000);
    t = Clock::now();
    const auto bhits = index.terms.search(c.terms(text), 50, "");
    bm25_ms.push_back(seconds_since(t) * 1000);
    t = Clock::now();
    const auto vhits = index.vectors.search(sample_vectors[q], 10, "");
    vector_ms.push_back(seconds_since(t) * 1000);
    t = Clock::now();
    const auto truth = exact.search(sample_vectors[q], 10, "");
    exact_ms.push_back(seconds_since(t) * 1000);
    size_t found = 0;
    for (const auto& a : truth)
      for (const auto& b : vhits) found += a.chunk_id == b.chunk_id;
    recall_sum += static_cast<double>(found) / static_cast<double>(truth.size());
    if (hits.empty() || vhits.empty() || bhits.empty()) {
      std::fprintf(stderr, "query %zu found nothing\n", q);
      return 1;
    }
  }
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  const nlohmann::json out = {{"chunks", stats.chunks},
                              {"documents", stats.documents},
                              {"dim", dim},
                              {"build_seconds", build_s},
                              {"build_chunks_per_second", static_cast<double>(n) / build_s},
                              {"disk_bytes", stats.disk_bytes},
                              {"approximate", index.vectors.approximate()},
                              {"graph_build_seconds", index_build_s},
                              {"term_index_build_seconds", term_build_s},
                              {"term_index_postings", postings},
                              {"index_load_seconds", load_s},
                              {"index_file_bytes", fs::exists(cdir / "vectors.hnsw") ? fs::file_size(cdir / "vectors.hnsw") : 0},
                              {"recall_at_10_vs_exact", recall_sum / static_cast<double>(hybrid_ms.size())},
                              {"index_rss_kib", rss_index},
                              {"max_rss_kib", ru.ru_maxrss},
                              {"queries", hybrid_ms.size()},
                              {"hybrid_top10_ms", {{"p50", percentile(hybrid_ms, 0.5)}, {"p99", percentile(hybrid_ms, 0.99)}}},
                              {"bm25_top50_ms", {{"p50", percentile(bm25_ms, 0.5)}, {"p99", percentile(bm25_ms, 0.99)}}},
                              {"vector_top10_ms", {{"p50", percentile(vector_ms, 0.5)}, {"p99", percentile(vector_ms, 0.99)}}},
                              {"exact_vector_top10_ms", {{"p50", percentile(exact_ms, 0.5)}, {"p99", percentile(exact_ms, 0.99)}}}};
  std::printf("%s\n", out.dump(2).c_str());
  if (!keep) fs::remove_all(dir);
  return 0;
}
