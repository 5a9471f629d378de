// Document parsers, one per format. Each takes the file's bytes and returns its blocks; a file
// that is not what its name says (binary garbage, a corrupt archive or PDF) throws airlock::Error
// with the reason, which ingestion reports before moving on to the next file.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "rag/document.h"

namespace airlock::rag {

// Limits that keep a hostile file from exhausting memory: the most bytes any one file may expand
// to (an archive entry, a PDF's extracted text) and the most PDF pages read.
struct ParseLimits {
  size_t max_expanded_bytes = 64u << 20;
  int max_pdf_pages = 5000;
};

// The format a file name implies ("text", "markdown", "html", "code", "pdf", "docx", "odt"), or ""
// for one airlock does not read (images, archives, executables...). Files without an extension
// count as text: READMEs, licenses and the like.
std::string format_for_path(std::string_view path);

// Dispatches on `format` (from format_for_path).
ParsedDocument parse_document(std::string_view format, std::string_view bytes, const ParseLimits& limits = {});

ParsedDocument parse_plain_text(std::string_view bytes);
ParsedDocument parse_markdown(std::string_view bytes);
ParsedDocument parse_source_code(std::string_view bytes);
ParsedDocument parse_html(std::string_view bytes);
ParsedDocument parse_pdf(std::string_view bytes, const ParseLimits& limits);
ParsedDocument parse_docx(std::string_view bytes, const ParseLimits& limits);
ParsedDocument parse_odt(std::string_view bytes, const ParseLimits& limits);

}  // namespace airlock::rag

namespace airlock::rag {

// Appends the blank-line-separated paragraphs of `text` (valid UTF-8) as blocks of `kind`, with
// line numbers counted from `first_line` (0: leave them unknown) and the given page.
void append_paragraphs(ParsedDocument& doc, std::string_view text, BlockKind kind, int first_line, int page);

// The bytes checked as text and repaired into valid UTF-8 (counted in doc.invalid_utf8).
std::string checked_text(std::string_view bytes, ParsedDocument& doc);

}  // namespace airlock::rag
