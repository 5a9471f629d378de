// The chunker with a whitespace word count as the token counter: limits, overlap, headings,
// pages and line ranges.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "rag/chunker.h"
#include "rag/parsers.h"

using namespace airlock::rag;

namespace {
size_t words(std::string_view t) {
  std::istringstream in{std::string(t)};
  size_t n = 0;
  for (std::string w; in >> w;) ++n;
  return n;
}

std::string numbered_words(int from, int to) {
  std::string s;
  for (int i = from; i < to; ++i) s += "w" + std::to_string(i) + (i % 10 == 9 ? ".\n" : " ");
  return s;
}
}  // namespace

TEST(RagChunker, RespectsLimitAndOverlaps) {
  ParsedDocument d = parse_plain_text(numbered_words(0, 1000));
  const auto chunks = chunk_document(d, words, {.max_tokens = 100, .overlap_tokens = 20});
  ASSERT_GT(chunks.size(), 10u);
  for (const auto& c : chunks) EXPECT_LE(words(c.text), 100u) << c.text;
  // Every word is in some chunk, and consecutive chunks share text.
  std::string all;
  for (const auto& c : chunks) all += c.text + " ";
  for (int i = 0; i < 1000; i += 37) {
    const std::string w = "w" + std::to_string(i);
    const size_t at = all.find(w);
    ASSERT_NE(at, std::string::npos) << w;
    EXPECT_FALSE(std::isdigit(static_cast<unsigned char>(all[at + w.size()]))) << w;
  }
  for (size_t i = 1; i < chunks.size(); ++i) {
    const std::string last_word_before = chunks[i - 1].text.substr(chunks[i - 1].text.rfind('w'));
    EXPECT_NE(chunks[i].text.find(last_word_before), std::string::npos) << "no overlap at chunk " << i;
  }
  EXPECT_EQ(chunks.front().line_first, 1);
  EXPECT_EQ(chunks.back().line_last, 100);
}

TEST(RagChunker, HeadingsStartChunksAndMakePaths) {
  const auto d = parse_markdown("# A\n\nalpha text\n\n## B\n\nbeta text\n\n# C\n\ngamma\n");
  const auto chunks = chunk_document(d, words, {.max_tokens = 100, .overlap_tokens = 10});
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].heading, "A");
  EXPECT_EQ(chunks[1].heading, "A > B");
  EXPECT_EQ(chunks[2].heading, "C");
  EXPECT_EQ(chunks[1].text, "B\n\nbeta text");
  EXPECT_EQ(chunks[1].line_first, 5);
  EXPECT_EQ(chunks[1].line_last, 7);
}

TEST(RagChunker, PagesAreNotMixed) {
  ParsedDocument d;
  d.blocks.push_back({.kind = BlockKind::Paragraph, .text = "page one text", .page = 1});
  d.blocks.push_back({.kind = BlockKind::Paragraph, .text = "page two text", .page = 2});
  const auto chunks = chunk_document(d, words, {.max_tokens = 100, .overlap_tokens = 10});
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].page, 1);
  EXPECT_EQ(chunks[1].page, 2);
}

TEST(RagChunker, OneHugeWordIsCut) {
  ParsedDocument d;
  d.blocks.push_back({.text = std::string(5000, 'x')});
  // A counter of one token per 10 bytes: the single word must still end up in pieces under 100.
  const auto chunks = chunk_document(d, [](std::string_view t) { return t.size() / 10; }, {.max_tokens = 100, .overlap_tokens = 0});
  size_t total = 0;
  for (const auto& c : chunks) {
    EXPECT_LE(c.text.size() / 10, 100u);
    // Pieces of one chunk are joined by a blank line; the rest is the word itself.
    total += c.text.size() - 2 * static_cast<size_t>(std::count(c.text.begin(), c.text.end(), '\n') / 2);
  }
  EXPECT_EQ(total, 5000u);
}
