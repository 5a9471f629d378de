// PDF through poppler-cpp: the text of each page, split into paragraphs that keep their page
// number. Encrypted files and page or text counts beyond the limits are refused.
#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include <airlock/error.h>

#include <climits>
#include <memory>
#include <mutex>

#include "rag/parsers.h"
#include "rag/text_clean.h"

namespace airlock::rag {

namespace {
// Poppler prints its complaints about damaged files on stderr; the ingest report says it better.
void quiet_poppler() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr); });
}
}  // namespace

ParsedDocument parse_pdf(std::string_view bytes, const ParseLimits& limits) {
  quiet_poppler();
  if (bytes.size() > INT_MAX) throw Error("PDF too large");
  std::unique_ptr<poppler::document> pdf(
      poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
  if (!pdf) throw Error("not a readable PDF");
  if (pdf->is_locked()) throw Error("encrypted PDF");
  const int pages = pdf->pages();
  if (pages > limits.max_pdf_pages)
    throw Error("PDF has " + std::to_string(pages) + " pages, more than " + std::to_string(limits.max_pdf_pages));
  ParsedDocument doc{.format = "pdf"};
  size_t total = 0;
  for (int i = 0; i < pages; ++i) {
    std::unique_ptr<poppler::page> page(pdf->create_page(i));
    if (!page) continue;
    const poppler::byte_array utf8 = page->text().to_utf8();
    total += utf8.size();
    if (total > limits.max_expanded_bytes) throw Error("PDF text larger than the limit");
    size_t replaced = 0;
    const std::string text = valid_utf8(std::string_view(utf8.data(), utf8.size()), replaced);
    doc.invalid_utf8 += replaced;
    append_paragraphs(doc, text, BlockKind::Paragraph, 0, i + 1);
  }
  return doc;
}

}  // namespace airlock::rag
