// Retrieval quality on text nobody here wrote: Debian's license texts (/usr/share/common-licenses,
// present on every Debian 12 system). Each question lists the files that answer it; recall@5 is
// the share of questions with one of those files among the top five chunks. With the fixture
// encoder (random weights) the vector side is noise, so only hybrid >= BM25 is asserted: fusion
// must not lose what the words find.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <set>

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
struct Question {
  const char* text;
  std::set<std::string> files;
};

const std::vector<Question> kQuestions = {
    {"Does a contributor grant a patent license, and when does it terminate if I sue?", {"Apache-2.0"}},
    {"What may the Copyright Holder do with a Modified Version of the Package and the Standard Version?", {"Artistic"}},
    {"Must redistributions in binary form reproduce the copyright notice and disclaimer?", {"BSD"}},
    {"How does the affirmer waive copyright and related rights to dedicate a work to the public domain?", {"CC0-1.0"}},
    {"What are Invariant Sections and Cover Texts of a manual?", {"GFDL-1.2", "GFDL-1.3"}},
    {"Must I provide Installation Information when conveying object code in a User Product?", {"GPL-3", "LGPL-3"}},
    {"What is a Larger Work and a Secondary License for Source Code Form?", {"MPL-2.0"}},
    {"Who is the Initial Developer and what is the Netscape Public License?", {"MPL-1.1"}},
    {"Is a work that uses the Library by being linked with it a derivative work?", {"LGPL-2", "LGPL-2.1"}},
    {"Do technological measures count under laws against circumvention such as the WIPO treaty?", {"GPL-3"}},
    {"What does the General Public License version 1 of February 1989 say about distribution?", {"GPL-1"}},
};

double recall_at_5(Collection& c, const SearchIndex& index, Embedder& e, SearchMode mode) {
  int found = 0;
  for (const auto& q : kQuestions) {
    const auto r = run_query(c, index, e, q.text, {.k = 5, .mode = mode});
    bool hit = false;
    for (const auto& h : r.hits) hit |= q.files.contains(fs::path(h.chunk.path).filename().string());
    found += hit;
  }
  return static_cast<double>(found) / static_cast<double>(kQuestions.size());
}
}  // namespace

TEST(RagQuality, DebianLicensesRecallAt5) {
  AIRLOCK_REQUIRE_FIXTURES();
  const fs::path licenses = "/usr/share/common-licenses";
  for (const auto& q : kQuestions)
    for (const auto& f : q.files) ASSERT_TRUE(fs::exists(licenses / f)) << f << " missing: not a Debian system?";
  const fs::path root = fs::path(::testing::TempDir()) / ("rag_quality_" + std::to_string(::getpid()));
  fs::remove_all(root);
  store::Store(root).import_gguf(fixtures::dir() / "models" / "bert-bge-f16.gguf", "bge", {"test", nullptr, nullptr});
  create_collection(root, "licenses", {"bge", 400, 60});
  Collection c(collection_dir(root, "licenses"));
  LocalEmbedder e(root, "bge");
  const auto report = ingest_paths(c, e, {licenses}, {});
  ASSERT_TRUE(report.failures.empty()) << report.failures[0].path << ": " << report.failures[0].reason;
  const SearchIndex index(c);
  const double bm25 = recall_at_5(c, index, e, SearchMode::BM25);
  const double vector = recall_at_5(c, index, e, SearchMode::Vector);
  const double hybrid = recall_at_5(c, index, e, SearchMode::Hybrid);
  std::printf("common-licenses: %zu files, %zu chunks, %.1f chunks/s embedding (%zu questions)\n", report.files,
              report.chunks, report.chunks_per_second(), kQuestions.size());
  std::printf("recall@5: bm25 %.2f  vector %.2f (random-weight fixture encoder: noise)  hybrid %.2f\n", bm25, vector,
              hybrid);
  RecordProperty("recall5_bm25", std::to_string(bm25));
  RecordProperty("recall5_vector", std::to_string(vector));
  RecordProperty("recall5_hybrid", std::to_string(hybrid));
  EXPECT_GE(bm25, 0.7);
  EXPECT_GE(hybrid, bm25);
  fs::remove_all(root);
}
