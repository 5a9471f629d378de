// Plain text and source code: paragraphs are runs of non-blank lines.
#include "rag/parsers.h"
#include "rag/text_clean.h"

namespace airlock::rag {

std::string checked_text(std::string_view bytes, ParsedDocument& doc) {
  require_text(bytes);
  size_t replaced = 0;
  std::string text = valid_utf8(bytes, replaced);
  doc.invalid_utf8 += replaced;
  return text;
}

void append_paragraphs(ParsedDocument& doc, std::string_view text, BlockKind kind, int first_line, int page) {
  Block cur{.kind = kind, .page = page};
  int line = first_line;
  auto flush = [&] {
    while (!cur.text.empty() && (cur.text.back() == '\n' || cur.text.back() == ' ')) cur.text.pop_back();
    if (!cur.text.empty()) doc.blocks.push_back(cur);
    cur = Block{.kind = kind, .page = page};
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(pos, end - pos);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    const bool blank = l.find_first_not_of(" \t\f\v") == std::string_view::npos;
    if (blank) {
      flush();
    } else {
      if (cur.text.empty()) cur.line_first = line;
      cur.line_last = line;
      cur.text.append(l);
      cur.text += '\n';
    }
    if (first_line > 0) ++line;
    pos = end + 1;
  }
  flush();
}

ParsedDocument parse_plain_text(std::string_view bytes) {
  ParsedDocument doc{.format = "text"};
  append_paragraphs(doc, checked_text(bytes, doc), BlockKind::Paragraph, 1, 0);
  return doc;
}

ParsedDocument parse_source_code(std::string_view bytes) {
  ParsedDocument doc{.format = "code"};
  append_paragraphs(doc, checked_text(bytes, doc), BlockKind::Code, 1, 0);
  return doc;
}

}  // namespace airlock::rag
