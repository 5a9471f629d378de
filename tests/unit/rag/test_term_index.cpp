// The in-memory BM25 index against SQLite's own: on real English text (Debian's license files),
// TermIndex must rank and score as FTS5's bm25() does over the collection's FTS5 table, which
// neither this test nor TermIndex computes, whether built from SQLite or loaded from terms.idx.
// Also: path filters, removed documents, stemming, and a saved index that is stale, damaged or
// forged is rebuilt, never trusted.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fstream>
#include <latch>
#include <sstream>
#include <thread>

#include "rag/collection.h"
#include "rag/saved_index.h"
#include "rag/term_index.h"

using namespace airlock::rag;
namespace fs = std::filesystem;

namespace {

class TermIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("rag_terms_" + std::to_string(::getpid()) + "_" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Collection::create(dir_ / "c", {.embed_model = "none", .chunk_tokens = 64, .overlap_tokens = 8});
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Each paragraph of a file becomes a chunk; vectors are irrelevant here.
  static void add_file(Collection& c, const fs::path& file, const std::string& as) {
    std::ifstream in(file);
    std::vector<Chunk> chunks;
    std::string para, line;
    auto flush = [&] {
      if (para.find_first_not_of(" \n\t") != std::string::npos) chunks.push_back({.text = para, .heading = as});
      para.clear();
    };
    while (std::getline(in, line)) {
      if (line.find_first_not_of(" \t") == std::string::npos) flush();
      else para += line + "\n";
    }
    flush();
    c.replace_document({.path = as, .hash = as, .format = "text"}, chunks,
                       std::vector<std::vector<float>>(chunks.size(), std::vector<float>{1.0f}));
  }

  // FTS5's ranking of the same words, each quoted and OR-ed (FTS5 stems them itself).
  std::vector<BM25Hit> fts5(const std::vector<std::string>& words, size_t limit) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((dir_ / "c" / "collection.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    std::string match;
    for (const auto& w : words) match += (match.empty() ? "\"" : " OR \"") + w + '"';
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT rowid, -bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ? "
                                     "ORDER BY rank LIMIT ?", -1, &st, nullptr), SQLITE_OK);
    sqlite3_bind_text(st, 1, match.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, static_cast<sqlite3_int64>(limit));
    std::vector<BM25Hit> out;
    while (sqlite3_step(st) == SQLITE_ROW) out.push_back({sqlite3_column_int64(st, 0), sqlite3_column_double(st, 1)});
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }

  fs::path dir_;
};

}  // namespace

TEST_F(TermIndexTest, ScoresAsFts5DoesOnRealText) {
  const fs::path licenses = "/usr/share/common-licenses";
  if (!fs::exists(licenses / "GPL-3")) GTEST_SKIP() << "no /usr/share/common-licenses (not Debian)";
  Collection c(dir_ / "c");
  for (const char* f : {"GPL-3", "LGPL-2.1", "Apache-2.0", "MPL-2.0", "Artistic"}) add_file(c, licenses / f, f);
  const TermIndex built(c);
  EXPECT_FALSE(built.loaded());
  const TermIndex index(c);  // the one built just now, from terms.idx
  EXPECT_TRUE(index.loaded());
  ASSERT_GT(index.size(), 300u);
  EXPECT_EQ(index.postings(), built.postings());
  const std::vector<std::vector<std::string>> queries = {{"patent", "license", "granted"},
                                                        {"warranty", "merchantability"},
                                                        {"distribute", "modified", "versions"},
                                                        {"Apache", "Software", "Foundation", "trademarks"},
                                                        {"library", "linking", "exception"}};
  for (const auto& words : queries) {
    std::string q;
    for (const auto& w : words) q += w + " ";
    const auto ours = index.search(c.terms(q), 20, "");
    const auto theirs = fts5(words, 20);
    ASSERT_EQ(ours.size(), theirs.size()) << q;
    for (size_t i = 0; i < ours.size(); ++i) {
      EXPECT_NEAR(ours[i].score, theirs[i].score, 1e-4 * theirs[i].score) << q << " #" << i;
      // Equal scores may come in another order; distinct ones must not.
      const bool tied = (i > 0 && theirs[i - 1].score < theirs[i].score * (1 + 1e-5)) ||
                        (i + 1 < ours.size() && theirs[i + 1].score > theirs[i].score * (1 - 1e-5));
      if (!tied) {
        EXPECT_EQ(ours[i].chunk_id, theirs[i].chunk_id) << q << " #" << i;
      }
    }
  }
}

TEST_F(TermIndexTest, StemsFiltersByPathAndForgetsRemovedDocuments) {
  Collection c(dir_ / "c");
  const std::vector<std::vector<float>> v(1, std::vector<float>{1.0f});
  c.replace_document({.path = "a/pumps.txt", .hash = "1", .format = "text"}, {Chunk{.text = "Priming the pumps daily.", .heading = ""}}, v);
  c.replace_document({.path = "b/pump.txt", .hash = "2", .format = "text"}, {Chunk{.text = "A pump was primed.", .heading = ""}}, v);
  c.replace_document({.path = "b/valve.txt", .hash = "3", .format = "text"}, {Chunk{.text = "Close the valve.", .heading = ""}}, v);
  {
    const TermIndex index(c);
    EXPECT_EQ(index.search(c.terms("primed pump"), 10, "").size(), 2u);  // porter: prime, pump
    const auto b = index.search(c.terms("pumping"), 10, "b/");
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(c.chunk(b[0].chunk_id).path, "b/pump.txt");
    EXPECT_TRUE(index.search(c.terms("nothing here"), 10, "").empty());
    EXPECT_TRUE(index.search(c.terms(""), 10, "").empty());
  }
  c.remove_document("b/pump.txt");
  const TermIndex index(c);
  const auto hits = index.search(c.terms("pump"), 10, "");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(c.chunk(hits[0].chunk_id).path, "a/pumps.txt");
}

namespace {
std::vector<std::pair<int64_t, double>> ranking(const TermIndex& index, Collection& c, const std::string& q) {
  std::vector<std::pair<int64_t, double>> out;
  for (const auto& h : index.search(c.terms(q), 50, "")) out.emplace_back(h.chunk_id, h.score);
  return out;
}
}  // namespace

TEST_F(TermIndexTest, SavedIndexIsRebuiltWhenStaleDamagedOrForged) {
  Collection c(dir_ / "c");
  const std::vector<std::vector<float>> v(1, std::vector<float>{1.0f});
  for (int i = 0; i < 40; ++i)
    c.replace_document({.path = "doc" + std::to_string(i), .hash = std::to_string(i), .format = "text"},
                       {Chunk{.text = "pump " + std::to_string(i) + " valve seal" + std::string(i % 3, 'x'), .heading = ""}}, v);
  const fs::path file = dir_ / "c" / "terms.idx";
  const auto expected = ranking(TermIndex(c), c, "pump seal");
  ASSERT_TRUE(fs::exists(file));
  ASSERT_GE(expected.size(), 10u);  // "seal" alone: "pump" is in every chunk, so left out

  // Damaged: the checksum no longer matches.
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(file) / 2));
    f.write("garbage!", 8);
  }
  {
    const TermIndex repaired(c);
    EXPECT_FALSE(repaired.loaded());
    EXPECT_EQ(ranking(repaired, c, "pump seal"), expected);
  }
  EXPECT_TRUE(TermIndex(c).loaded());  // saved again

  // Forged: garbage in the postings with a companion that vouches for it. The checks on load
  // refuse it (no crash, no row out of range) and the index is rebuilt.
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-40, std::ios::end);
    f.write("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 16);
  }
  {
    std::ifstream in(dir_ / "c" / "terms.idx.json");
    auto meta = nlohmann::json::parse(in);
    uint64_t size = 0;
    meta["checksum"] = file_checksum(file, size);
    in.close();
    std::ofstream(dir_ / "c" / "terms.idx.json") << meta.dump();
  }
  {
    const TermIndex refused(c);
    EXPECT_FALSE(refused.loaded());
    EXPECT_EQ(ranking(refused, c, "pump seal"), expected);
  }

  // Truncated, then stale: the collection changed since it was saved.
  fs::resize_file(file, 10);
  EXPECT_FALSE(TermIndex(c).loaded());
  c.replace_document({.path = "new", .hash = "n", .format = "text"}, {Chunk{.text = "pump gasket", .heading = ""}}, v);
  const TermIndex fresh(c);
  EXPECT_FALSE(fresh.loaded());
  const auto hits = fresh.search(c.terms("gasket"), 10, "");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(c.chunk(hits[0].chunk_id).path, "new");
  EXPECT_TRUE(TermIndex(c).loaded());
}

TEST_F(TermIndexTest, TwoThreadsSavingAtOnceLeaveOneGoodFile) {
  {
    Collection c(dir_ / "c");
    const std::vector<std::vector<float>> v(1, std::vector<float>{1.0f});
    for (int i = 0; i < 300; ++i)
      c.replace_document({.path = "doc" + std::to_string(i), .hash = std::to_string(i), .format = "text"},
                         {Chunk{.text = "pump " + std::to_string(i) + " valve w" + std::to_string(i % 17), .heading = ""}}, v);
  }
  // As two server threads answering the first queries of a changed collection do: each builds and
  // saves through its own temporary file; one file wins, complete, and no temporary stays.
  std::latch start(2);
  std::vector<std::thread> savers;
  for (int t = 0; t < 2; ++t)
    savers.emplace_back([&] {
      Collection c(dir_ / "c");
      start.arrive_and_wait();
      EXPECT_EQ(TermIndex(c).search(c.terms("pump"), 5, "").size(), 5u);
    });
  for (auto& t : savers) t.join();
  Collection c(dir_ / "c");
  const TermIndex loaded(c);
  EXPECT_TRUE(loaded.loaded());
  EXPECT_EQ(loaded.search(c.terms("w5"), 50, "").size(), 18u);  // i % 17 == 5 for 18 of 0..299
  for (const auto& e : fs::directory_iterator(dir_ / "c"))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path() << " left behind";
}
