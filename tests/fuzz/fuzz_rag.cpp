// libFuzzer target for the document parsers, which read whatever a site drops into a collection
// (and, over HTTP, what any client uploads). The first byte picks the format, the rest is the file.
// Findings: any exception but airlock::Error, a crash or leak (ASan), a block that is not valid
// UTF-8 or has impossible lines/pages, and a chunker that loses the document's text or exceeds
// its token budget on what the parser returned.
#include <cstddef>
#include <cstdint>
#include <string>

#include "airlock/error.h"
#include "rag/chunker.h"
#include "rag/parsers.h"

namespace {

constexpr const char* kFormats[] = {"text", "markdown", "html", "code", "pdf", "docx", "odt"};

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

// One token per word-ish run: cheap, deterministic, and it exercises the chunker's cutting.
size_t count_words(std::string_view s) {
  size_t n = 0;
  bool in = false;
  for (char ch : s) {
    const bool space = ch == ' ' || ch == '\n' || ch == '\t';
    if (!space && !in) ++n;
    in = !space;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const char* format = kFormats[data[0] % std::size(kFormats)];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  // Small limits so the fuzzer spends its time on structure, and so a bomb shows as a refusal.
  const airlock::rag::ParseLimits limits{.max_expanded_bytes = 1u << 20, .max_pdf_pages = 50};
  airlock::rag::ParsedDocument doc;
  try {
    doc = airlock::rag::parse_document(format, bytes, limits);
  } catch (const airlock::Error&) {
    return 0;
  }
  size_t text_bytes = 0;
  for (const auto& b : doc.blocks) {
    if (!valid_utf8(b.text)) __builtin_trap();
    if (b.line_first < 0 || b.line_last < b.line_first || b.page < 0) __builtin_trap();
    text_bytes += b.text.size();
  }
  if (text_bytes > limits.max_expanded_bytes * 4) __builtin_trap();
  const airlock::rag::ChunkOptions opts{.max_tokens = 24, .overlap_tokens = 4};
  const auto chunks = airlock::rag::chunk_document(doc, count_words, opts);
  for (const auto& c : chunks) {
    if (!valid_utf8(c.text) || !valid_utf8(c.heading)) __builtin_trap();
    if (count_words(c.text) > opts.max_tokens * 2) __builtin_trap();
  }
  return 0;
}
