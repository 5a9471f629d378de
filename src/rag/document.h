// A parsed document: the text of a file as a sequence of structural blocks, each remembering where
// it came from (page, lines), so chunks built from them can cite their source precisely.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace airlock::rag {

enum class BlockKind { Heading, Paragraph, ListItem, Code };

struct Block {
  BlockKind kind = BlockKind::Paragraph;
  std::string text{};
  int level = 0;        // headings: 1 (top) .. 6
  int page = 0;         // 1-based PDF page; 0: the format has no pages
  int line_first = 0;   // 1-based source lines; 0: unknown (formats without lines)
  int line_last = 0;
};

struct ParsedDocument {
  std::string format;   // "text", "markdown", "html", "code", "pdf", "docx", "odt"
  std::vector<Block> blocks{};
  size_t invalid_utf8 = 0;  // byte sequences replaced by U+FFFD
};

}  // namespace airlock::rag
