// Markdown, line by line: ATX and setext headings, fenced code blocks, list items, paragraphs.
// Inline markup stays as written: it tokenizes fine and the words are what retrieval needs.
#include <cctype>

#include "rag/parsers.h"

namespace airlock::rag {

namespace {

bool is_list_marker(std::string_view l) {
  const size_t s = l.find_first_not_of(' ');
  if (s == std::string_view::npos || s > 3) return false;
  l.remove_prefix(s);
  if (l.size() >= 2 && (l[0] == '-' || l[0] == '*' || l[0] == '+') && l[1] == ' ') return true;
  size_t d = 0;
  while (d < l.size() && d < 9 && std::isdigit(static_cast<unsigned char>(l[d]))) ++d;
  return d > 0 && d + 1 < l.size() && (l[d] == '.' || l[d] == ')') && l[d + 1] == ' ';
}

// The level of an ATX heading line ("## Title"), 0 when it is not one.
int atx_level(std::string_view l) {
  int n = 0;
  while (n < static_cast<int>(l.size()) && l[n] == '#') ++n;
  if (n == 0 || n > 6) return 0;
  return (static_cast<size_t>(n) == l.size() || l[n] == ' ' || l[n] == '\t') ? n : 0;
}

bool is_setext_underline(std::string_view l, char c) {
  while (!l.empty() && (l.back() == ' ' || l.back() == '\t')) l.remove_suffix(1);
  return l.size() >= 3 && l.find_first_not_of(c) == std::string_view::npos;
}

std::string_view fence_of(std::string_view l) {
  const size_t s = l.find_first_not_of(' ');
  if (s == std::string_view::npos || s > 3) return {};
  l.remove_prefix(s);
  if (l.starts_with("```")) return "```";
  if (l.starts_with("~~~")) return "~~~";
  return {};
}

}  // namespace

ParsedDocument parse_markdown(std::string_view bytes) {
  ParsedDocument doc{.format = "markdown"};
  const std::string text = checked_text(bytes, doc);
  Block cur;
  std::string_view fence;  // non-empty inside a fenced code block
  auto flush = [&] {
    while (!cur.text.empty() && cur.text.back() == '\n') cur.text.pop_back();
    if (!cur.text.empty()) doc.blocks.push_back(cur);
    cur = Block{};
  };
  auto add_line = [&](std::string_view l, int line) {
    if (cur.text.empty()) cur.line_first = line;
    cur.line_last = line;
    cur.text.append(l);
    cur.text += '\n';
  };
  int line = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view l(text.data() + pos, end - pos);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    pos = end + 1;
    ++line;
    const bool blank = l.find_first_not_of(" \t") == std::string_view::npos;
    if (!fence.empty()) {
      if (fence_of(l) == fence) {
        add_line(l, line);
        flush();
        fence = {};
      } else {
        add_line(l, line);
      }
      continue;
    }
    if (const auto f = fence_of(l); !f.empty()) {
      flush();
      fence = f;
      cur.kind = BlockKind::Code;
      add_line(l, line);
      continue;
    }
    if (blank) {
      flush();
      continue;
    }
    if (const int level = atx_level(l)) {
      flush();
      std::string_view title = l.substr(static_cast<size_t>(level));
      while (!title.empty() && (title.back() == '#' || title.back() == ' ')) title.remove_suffix(1);
      while (!title.empty() && title.front() == ' ') title.remove_prefix(1);
      doc.blocks.push_back({.kind = BlockKind::Heading, .text = std::string(title), .level = level,
                            .line_first = line, .line_last = line});
      continue;
    }
    const bool one_line_paragraph = cur.kind == BlockKind::Paragraph && cur.line_first == cur.line_last && !cur.text.empty();
    if (one_line_paragraph && (is_setext_underline(l, '=') || is_setext_underline(l, '-'))) {
      cur.kind = BlockKind::Heading;
      cur.level = l.find('=') != std::string_view::npos ? 1 : 2;
      cur.line_last = line;
      cur.text.pop_back();
      flush();
      continue;
    }
    if (is_list_marker(l)) {
      flush();
      cur.kind = BlockKind::ListItem;
    }
    add_line(l, line);
  }
  flush();
  return doc;
}

}  // namespace airlock::rag
