// Cuts a parsed document into chunks of at most `max_tokens` tokens of the collection's embedding
// model, following its structure: a heading or a new page starts a chunk, blocks are never cut
// unless one alone is too long (then at lines, sentences, words), and consecutive chunks of one
// section share up to `overlap_tokens` of text so an answer split across them is still found.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rag/document.h"

namespace airlock::rag {

struct Chunk {
  std::string text;
  std::string heading;  // the heading path, "Install > Linux"
  int page = 0;
  int line_first = 0;
  int line_last = 0;
  size_t tokens = 0;    // as counted while packing (the sum over its pieces)
};

struct ChunkOptions {
  size_t max_tokens = 400;
  size_t overlap_tokens = 60;
};

// Token count of a text in the embedding model's vocabulary, without special tokens.
using TokenCounter = std::function<size_t(std::string_view)>;

std::vector<Chunk> chunk_document(const ParsedDocument& doc, const TokenCounter& count, const ChunkOptions& opts);

}  // namespace airlock::rag
