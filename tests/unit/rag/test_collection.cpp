// Collections on real files with the fixture BGE encoder in a temporary store: incremental ingest,
// pruning, reported failures, hybrid search with path filters, long queries, a removed model,
// and a process killed mid-ingest.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <airlock/error.h>

#include <fstream>

#include "rag/collections.h"
#include "rag/ingest.h"
#include "rag/local_embedder.h"
#include "rag/query.h"
#include "store/store.h"
#include "support/fixtures.h"

using namespace airlock;
using namespace airlock::rag;
namespace fs = std::filesystem;

namespace {

class RagCollection : public ::testing::Test {
 protected:
  void SetUp() override {
    AIRLOCK_REQUIRE_FIXTURES();
    root_ = fs::path(::testing::TempDir()) / ("rag_coll_" + std::to_string(::getpid()) + "_" +
                                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    store_ = root_ / "store";
    docs_ = root_ / "docs";
    fs::create_directories(docs_);
    store::Store(store_).import_gguf(fixtures::dir() / "models" / "bert-bge-f16.gguf", "bge", {"test", nullptr, nullptr});
    create_collection(store_, "c", {"bge", 64, 8});
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((docs_ / rel).parent_path());
    std::ofstream(docs_ / rel, std::ios::binary) << text;
  }
  IngestReport ingest(bool prune = false, uint64_t max_bytes = 64 << 20) {
    Collection c(collection_dir(store_, "c"));
    LocalEmbedder e(store_, "bge", 2);
    IngestOptions o;
    o.prune = prune;
    o.max_file_bytes = max_bytes;
    return ingest_paths(c, e, {docs_}, o);
  }

  fs::path root_, store_, docs_;
};

}  // namespace

TEST_F(RagCollection, IncrementalIngestAndPrune) {
  write("pumps.md", "# Pumps\n\nThe centrifugal pump must be primed before start.\n");
  write("sub/valves.txt", "Close the isolation valve before maintenance of the line.\n");
  auto r = ingest();
  EXPECT_EQ(r.added, 2u);
  EXPECT_TRUE(r.failures.empty());
  r = ingest();
  EXPECT_EQ(r.unchanged, 2u);
  EXPECT_EQ(r.chunks, 0u);
  write("pumps.md", "# Pumps\n\nThe centrifugal pump must be vented and primed before start.\n");
  fs::remove(docs_ / "sub/valves.txt");
  r = ingest();
  EXPECT_EQ(r.updated, 1u);
  EXPECT_EQ(r.removed, 0u);  // no --prune: the gone file stays
  r = ingest(true);
  EXPECT_EQ(r.removed, 1u);
  Collection c(collection_dir(store_, "c"));
  const auto docs = c.documents();
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(fs::path(docs[0].path).filename(), "pumps.md");
  EXPECT_EQ(c.stats().chunks, 1);
}

TEST_F(RagCollection, BadFilesAreReportedAndSkipped) {
  write("good.txt", "Ordinary text about the boiler inspection schedule.\n");
  write("binary.txt", std::string("\x7f" "ELF\0\0\0\0binary", 15));
  write("latin1.txt", std::string(300, '\xe9'));
  write("big.txt", std::string(3 << 20, 'a'));
  write("broken.docx", "PK\x03\x04 not really");
  write("image.png", "\x89PNG");
  fs::create_directory_symlink(docs_, docs_ / "loop");
  const auto r = ingest(false, 1 << 20);
  EXPECT_EQ(r.added, 1u);
  EXPECT_EQ(r.unsupported, 1u);
  ASSERT_EQ(r.failures.size(), 4u);
  std::string reasons;
  for (const auto& f : r.failures) reasons += fs::path(f.path).filename().string() + ": " + f.reason + "\n";
  EXPECT_NE(reasons.find("binary.txt: binary"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("latin1.txt: not UTF-8"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("big.txt: file of 3 MiB is over the limit"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("broken.docx:"), std::string::npos) << reasons;
}

TEST_F(RagCollection, SearchFindsTheDocumentAndFilters) {
  write("a/pumps.md", "# Pumps\n\nThe centrifugal pump must be primed with water before start.\n");
  write("b/valves.txt", "Close the isolation valve before any maintenance of the pipeline.\n");
  write("b/fire.txt", "In case of fire, use the CO2 extinguisher near the control room door.\n");
  ingest();
  Collection c(collection_dir(store_, "c"));
  const SearchIndex index(c);
  LocalEmbedder e(store_, "bge", 2);
  auto r = run_query(c, index, e, "how do I prime the pump", {.k = 3});
  ASSERT_FALSE(r.hits.empty());
  EXPECT_EQ(fs::path(r.hits[0].chunk.path).filename(), "pumps.md");
  EXPECT_GT(r.hits[0].bm25_rank, 0);
  EXPECT_EQ(r.hits[0].chunk.chunk.heading, "Pumps");
  r = run_query(c, index, e, "how do I prime the pump", {.k = 3, .path_prefix = (fs::canonical(docs_) / "b/").string()});
  for (const auto& h : r.hits) EXPECT_TRUE(h.chunk.path.find("/b/") != std::string::npos) << h.chunk.path;
  // The event log has one line per query.
  std::ifstream log(c.dir() / "events.jsonl");
  int lines = 0;
  for (std::string l; std::getline(log, l);) lines += nlohmann::json::parse(l).at("event") == "query";
  EXPECT_EQ(lines, 2);
}

TEST_F(RagCollection, LongQueryIsTruncatedAndSaysSo) {
  write("a.txt", "Short document about compressors.\n");
  ingest();
  Collection c(collection_dir(store_, "c"));
  LocalEmbedder e(store_, "bge", 2);
  std::string q;
  while (e.count_tokens(q) < e.context_tokens() + 50) q += "compressor maintenance schedule ";
  const auto r = run_query(c, SearchIndex(c), e, q, {.k = 1});
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.hits.size(), 1u);
  EXPECT_TRUE(query_json("c", q, r).contains("warning"));
}

TEST_F(RagCollection, RemovedEmbeddingModelIsNamed) {
  store::Store(store_).remove("bge");
  try {
    LocalEmbedder e(store_, "bge");
    FAIL() << "no error";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("embedding model 'bge'"), std::string::npos) << err.what();
  }
}

TEST_F(RagCollection, KilledMidIngestStaysConsistentAndRerunFinishes) {
  for (int i = 0; i < 40; ++i)
    write("f" + std::to_string(i) + ".txt", "Document " + std::to_string(i) + " about topic " + std::to_string(i * 7) +
                                                 ". " + std::string(200, 'a' + i % 26) + "\n");
  const pid_t child = ::fork();
  if (child == 0) {
    ingest();
    ::_exit(0);
  }
  // Kill it once some documents are in (or after a while, whichever is first).
  for (int i = 0; i < 400; ++i) {
    ::usleep(20000);
    try {
      if (Collection(collection_dir(store_, "c")).stats().documents >= 3) break;
    } catch (const Error&) {
    }
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  {
    Collection c(collection_dir(store_, "c"));
    // Every stored document has all its chunks and each chunk its embedding and FTS row.
    int64_t sum = 0;
    for (const auto& d : c.documents()) sum += d.chunks;
    EXPECT_EQ(sum, c.stats().chunks);
    EXPECT_EQ(static_cast<int64_t>(VectorIndex(c).size()), c.stats().chunks);
  }
  const auto r = ingest();
  EXPECT_TRUE(r.failures.empty());
  EXPECT_EQ(r.added + r.unchanged, 40u);
  Collection c(collection_dir(store_, "c"));
  EXPECT_EQ(c.stats().documents, 40);
}

namespace {
// The real encoder, with a record of how many chunks each embedding call carried.
class CallSizes : public Embedder {
 public:
  explicit CallSizes(Embedder& inner) : inner_(inner) {}
  size_t count_tokens(std::string_view text) const override { return inner_.count_tokens(text); }
  size_t context_tokens() const override { return inner_.context_tokens(); }
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) override {
    sizes.push_back(texts.size());
    return inner_.embed(texts);
  }
  std::vector<size_t> sizes;

 private:
  Embedder& inner_;
};
}  // namespace

// Small files used to be embedded one file per call: a one-chunk file kept one worker busy and left
// the others idle. Now chunks of several files go to the embedder together, and each file is still
// stored (and searchable) on its own.
TEST_F(RagCollection, SmallFilesAreEmbeddedTogether) {
  for (int i = 0; i < 12; ++i) write("note" + std::to_string(i) + ".txt", "Valve " + std::to_string(i) + " is checked weekly.\n");
  Collection c(collection_dir(store_, "c"));
  LocalEmbedder local(store_, "bge", 2);
  CallSizes e(local);
  const auto r = ingest_paths(c, e, {docs_}, {});
  EXPECT_EQ(r.added, 12u);
  EXPECT_EQ(r.chunks, 12u);
  ASSERT_EQ(e.sizes.size(), 1u);
  EXPECT_EQ(e.sizes[0], 12u);
  EXPECT_EQ(c.stats().documents, 12);
  const auto hits = run_query(c, SearchIndex(c), local, "valve 7", {.k = 1, .mode = SearchMode::BM25});
  ASSERT_EQ(hits.hits.size(), 1u);
  EXPECT_EQ(fs::path(hits.hits[0].chunk.path).filename(), "note7.txt");
}
