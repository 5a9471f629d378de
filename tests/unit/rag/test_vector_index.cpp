// The HNSW path of VectorIndex on a real collection (random clustered unit vectors, no model):
// its top 10 agree with exact search, its graph is saved and loaded again, and a damaged or stale
// graph is rebuilt rather than trusted. And BM25's common-word pruning (term_index.h): a word in
// most chunks no longer makes every chunk a match.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <random>
#include <set>

#include "rag/collection.h"
#include "rag/similarity_moments.h"
#include "rag/term_index.h"
#include "rag/vector_index.h"

using namespace airlock::rag;
namespace fs = std::filesystem;

namespace {

constexpr size_t kDim = 32;

std::vector<float> unit(std::mt19937& rng, const std::vector<float>* around = nullptr, float noise = 1) {
  std::normal_distribution<float> g(0, noise);
  std::vector<float> v(kDim);
  for (size_t d = 0; d < kDim; ++d) v[d] = (around ? (*around)[d] : 0) + g(rng);
  float s = 0;
  for (float x : v) s += x * x;
  for (float& x : v) x /= std::sqrt(s);
  return v;
}

class VectorIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("rag_vec_" + std::to_string(::getpid()) + "_" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Collection::create(dir_ / "c", {.embed_model = "none", .chunk_tokens = 64, .overlap_tokens = 8});
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `docs` documents of 50 chunks, each document's vectors around its own centre.
  void fill(Collection& c, size_t docs, const std::string& common_word = "") {
    for (size_t d = 0; d < docs; ++d) {
      const auto centre = unit(rng_);
      std::vector<Chunk> chunks(50);
      std::vector<std::vector<float>> vectors;
      for (size_t i = 0; i < chunks.size(); ++i) {
        chunks[i].text = common_word + " doc" + std::to_string(d) + " item" + std::to_string(i);
        vectors.push_back(unit(rng_, &centre, 0.3f));
      }
      c.replace_document({.path = "d" + std::to_string(d), .hash = "h" + std::to_string(d), .format = "text"}, chunks,
                         vectors);
    }
  }

  fs::path dir_;
  std::mt19937 rng_{7};
};

double recall_at_10(const VectorIndex& approx, const VectorIndex& exact, std::mt19937& rng) {
  double sum = 0;
  for (int q = 0; q < 20; ++q) {
    const auto query = unit(rng);
    const auto a = approx.search(query, 10, ""), e = exact.search(query, 10, "");
    size_t found = 0;
    for (const auto& x : e)
      for (const auto& y : a) found += x.chunk_id == y.chunk_id;
    sum += static_cast<double>(found) / static_cast<double>(e.size());
  }
  return sum / 20;
}

}  // namespace

TEST_F(VectorIndexTest, GraphAgreesWithExactSearchAndIsSavedAndReloaded) {
  Collection c(dir_ / "c");
  fill(c, 40);  // 2000 chunks
  const VectorIndex exact(c, SIZE_MAX);
  EXPECT_FALSE(exact.approximate());
  const VectorIndex built(c, 1000);
  ASSERT_TRUE(built.approximate());
  ASSERT_TRUE(fs::exists(dir_ / "c" / "vectors.hnsw"));
  EXPECT_GE(recall_at_10(built, exact, rng_), 0.95);
  const auto before = fs::last_write_time(dir_ / "c" / "vectors.hnsw");
  const VectorIndex loaded(c, 1000);
  EXPECT_EQ(fs::last_write_time(dir_ / "c" / "vectors.hnsw"), before);  // loaded, not rebuilt
  const auto q = unit(rng_);
  const auto a = built.search(q, 10, ""), b = loaded.search(q, 10, "");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].chunk_id, b[i].chunk_id);
  // The graph holds the only copy of the vectors; similarities read from it are the stored ones.
  for (int64_t id = 1; id <= 2000; id += 97) EXPECT_FLOAT_EQ(loaded.similarity(id, q), exact.similarity(id, q)) << id;
  // A search breadth below k still gives k results (the walk keeps at least k).
  EXPECT_EQ(loaded.search(q, 10, "", nullptr, 1).size(), 10u);
  // A path prefix cannot go through the graph: exact over that document's rows.
  const auto only = loaded.search(q, 5, "d7");
  ASSERT_EQ(only.size(), 5u);
  const auto exact_only = exact.search(q, 5, "d7");
  for (size_t i = 0; i < only.size(); ++i) EXPECT_EQ(only[i].chunk_id, exact_only[i].chunk_id);
}

TEST_F(VectorIndexTest, DamagedOrStaleGraphIsRebuilt) {
  Collection c(dir_ / "c");
  fill(c, 30);
  { const VectorIndex first(c, 1000); }
  const fs::path file = dir_ / "c" / "vectors.hnsw";
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(file) / 2));
    f.write("garbage!", 8);
  }
  const VectorIndex exact(c, SIZE_MAX);
  const VectorIndex repaired(c, 1000);
  EXPECT_GE(recall_at_10(repaired, exact, rng_), 0.95);
  fs::resize_file(file, 100);  // truncated
  const VectorIndex again(c, 1000);
  EXPECT_GE(recall_at_10(again, exact, rng_), 0.95);
  // The collection changes: a new document's chunk is found through the graph at once.
  Chunk fresh;
  fresh.text = "fresh";
  const auto v = unit(rng_);
  c.replace_document({.path = "new", .hash = "n", .format = "text"}, {fresh}, {v});
  const VectorIndex updated(c, 1000);
  EXPECT_EQ(updated.graph_origin(), AnnIndex::Origin::Updated);
  const auto hits = updated.search(v, 1, "");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(c.chunk(hits[0].chunk_id).chunk.text, "fresh");
  EXPECT_NEAR(hits[0].similarity, 1.0, 1e-4);
}

TEST_F(VectorIndexTest, ChangesUpdateTheGraphInPlace) {
  Collection c(dir_ / "c");
  fill(c, 40);  // d0 .. d39, chunk ids 1 .. 2000
  {
    const VectorIndex first(c, 1000);
    EXPECT_EQ(first.graph_origin(), AnnIndex::Origin::Built);
  }
  // The chunks about to go (d5, d6) and those about to be replaced (d39), from SQLite.
  std::set<int64_t> gone_ids, old_ids;
  std::vector<std::vector<float>> gone_vectors;
  c.each_embedding([&](int64_t id, const std::string& path, std::span<const float> v) {
    if (path == "d39") old_ids.insert(id);
    if (path == "d5" || path == "d6") gone_ids.insert(id), gone_vectors.emplace_back(v.begin(), v.end());
  });
  // d39 is replaced by new vectors: SQLite gives its new chunks the ids its old ones had (the
  // highest), so only comparing the stored vectors shows the change. d5 and d6 go.
  std::vector<Chunk> chunks(50);
  std::vector<std::vector<float>> vectors;
  const auto centre = unit(rng_);
  for (auto& ch : chunks) {
    ch.text = "replaced";
    vectors.push_back(unit(rng_, &centre, 0.3f));
  }
  c.replace_document({.path = "d39", .hash = "new", .format = "text"}, chunks, vectors);
  c.remove_document("d5");
  c.remove_document("d6");
  const VectorIndex updated(c, 1000);
  EXPECT_EQ(updated.graph_origin(), AnnIndex::Origin::Updated);
  const VectorIndex exact(c, SIZE_MAX);
  EXPECT_GE(recall_at_10(updated, exact, rng_), 0.95);
  for (size_t i = 0; i < vectors.size(); i += 7) {
    const auto hit = updated.search(vectors[i], 1, "");
    ASSERT_EQ(hit.size(), 1u);
    EXPECT_NEAR(hit[0].similarity, 1.0, 1e-4);
    EXPECT_EQ(c.chunk(hit[0].chunk_id).path, "d39");
    EXPECT_TRUE(old_ids.contains(hit[0].chunk_id)) << "SQLite did not reuse the ids: the test lost its point";
  }
  // Nothing of d5 or d6 comes back, even for their own vectors.
  for (const auto& v : gone_vectors)
    for (const auto& h : updated.search(v, 10, "")) EXPECT_FALSE(gone_ids.contains(h.chunk_id));
  // Saved: the next process loads the updated graph as it is.
  const VectorIndex again(c, 1000);
  EXPECT_EQ(again.graph_origin(), AnnIndex::Origin::Loaded);
}

TEST_F(VectorIndexTest, WordsInMostChunksDoNotMakeEveryChunkAMatch) {
  Collection c(dir_ / "c");
  fill(c, 4, "the");  // "the" in all 200 chunks
  const TermIndex terms(c);
  const auto hits = terms.search(c.terms("the doc2 item5"), 300, "");
  ASSERT_FALSE(hits.empty());
  // Without pruning every chunk would match "the"; now only doc2's chunks and item5's do.
  EXPECT_EQ(hits.size(), 50u + 3u);
  EXPECT_EQ(c.chunk(hits[0].chunk_id).chunk.text, "the doc2 item5");
  // A query of common words only keeps the rarest, so it still matches.
  EXPECT_EQ(terms.search(c.terms("the"), 300, "").size(), 200u);
}

TEST(SimilarityMoments, MatchTheSimilaritiesComputedOneByOne) {
  std::mt19937 rng(3);
  std::vector<std::vector<float>> rows;
  const auto centre = unit(rng);
  for (int i = 0; i < 500; ++i) rows.push_back(unit(rng, &centre, 0.5f));
  std::vector<const float*> ptrs;
  for (const auto& r : rows) ptrs.push_back(r.data());
  const SimilarityMoments all(ptrs, kDim), sampled(ptrs, kDim, 100);
  for (int q = 0; q < 5; ++q) {
    const auto query = unit(rng, q % 2 ? &centre : nullptr, 0.5f);
    double sum = 0, sq = 0;
    for (const auto& r : rows) {
      double s = 0;
      for (size_t d = 0; d < kDim; ++d) s += double(r[d]) * query[d];
      sum += s, sq += s * s;
    }
    const double mean = sum / 500, var = sq / 500 - mean * mean;
    double m = 0, v = 0;
    all.of(query, m, v);
    EXPECT_NEAR(m, mean, 1e-9);
    EXPECT_NEAR(v, var, 1e-9);
    // Every fifth row: an estimate, close but not exact.
    sampled.of(query, m, v);
    EXPECT_NEAR(m, mean, 0.05);
    EXPECT_NEAR(std::sqrt(v), std::sqrt(var), 0.3 * std::sqrt(var));
  }
}
