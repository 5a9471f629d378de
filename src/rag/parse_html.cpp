// HTML through libxml2's forgiving HTML parser: headings, paragraphs, list items, <pre> blocks and
// table cells become blocks; scripts, styles and the <head> are dropped. No network access.
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <airlock/error.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>

#include "rag/parsers.h"
#include "rag/text_clean.h"

namespace airlock::rag {

namespace {

bool is(const xmlNode* n, const char* name) {
  return xmlStrcasecmp(n->name, reinterpret_cast<const xmlChar*>(name)) == 0;
}

bool skipped(const xmlNode* n) {
  for (const char* s : {"script", "style", "noscript", "head", "template", "svg", "iframe", "object"})
    if (is(n, s)) return true;
  return false;
}

bool block_level(const xmlNode* n) {
  for (const char* s : {"p", "div", "section", "article", "main", "header", "footer", "nav", "aside", "li", "ul",
                        "ol", "dl", "dt", "dd", "pre", "blockquote", "table", "tr", "td", "th", "figure",
                        "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "br", "hr", "body", "form", "address"})
    if (is(n, s)) return true;
  return false;
}

int heading_level(const xmlNode* n) {
  const char* name = reinterpret_cast<const char*>(n->name);
  if ((name[0] == 'h' || name[0] == 'H') && name[1] >= '1' && name[1] <= '6' && name[2] == '\0') return name[1] - '0';
  return 0;
}

class Walker {
 public:
  explicit Walker(ParsedDocument& doc) : doc_(doc) {}

  void walk(const xmlNode* n, int depth) {
    // libxml2 caps nesting itself (256 levels without XML_PARSE_HUGE); this is a second fence.
    if (depth > 512) return;
    for (; n; n = n->next) {
      if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        text(n);
      } else if (n->type == XML_ELEMENT_NODE && !skipped(n)) {
        if (!block_level(n)) {
          walk(n->children, depth + 1);
          continue;
        }
        flush();
        const BlockKind saved_kind = kind_;
        const int saved_level = level_;
        const bool saved_pre = pre_;
        if (const int h = heading_level(n)) kind_ = BlockKind::Heading, level_ = h;
        else if (is(n, "li") || is(n, "dt") || is(n, "dd")) kind_ = BlockKind::ListItem;
        else if (is(n, "pre")) kind_ = BlockKind::Code, pre_ = true;
        walk(n->children, depth + 1);
        flush();
        kind_ = saved_kind;
        level_ = saved_level;
        pre_ = saved_pre;
      }
    }
  }

  void flush() {
    std::string t = pre_ ? buf_ : collapse_spaces(buf_);
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
    while (!t.empty() && t.front() == '\n') t.erase(0, 1);
    if (!t.empty())
      doc_.blocks.push_back({.kind = kind_, .text = std::move(t), .level = kind_ == BlockKind::Heading ? level_ : 0,
                             .line_first = first_, .line_last = last_});
    buf_.clear();
    first_ = last_ = 0;
  }

 private:
  void text(const xmlNode* n) {
    if (!n->content) return;
    const long line = xmlGetLineNo(n);
    if (line > 0 && line < INT_MAX) {
      const int l = static_cast<int>(line);
      if (first_ == 0) first_ = l;
      // A text node spans its own newlines: its last line is where the next one starts.
      const char* c = reinterpret_cast<const char*>(n->content);
      int lines = 0;
      for (const char* p = c; *p; ++p) lines += *p == '\n';
      last_ = std::max(last_, l + lines);
    }
    buf_ += reinterpret_cast<const char*>(n->content);
  }

  ParsedDocument& doc_;
  std::string buf_;
  BlockKind kind_ = BlockKind::Paragraph;
  int level_ = 0;
  bool pre_ = false;
  int first_ = 0, last_ = 0;
};

}  // namespace

ParsedDocument parse_html(std::string_view bytes) {
  ParsedDocument doc{.format = "html"};
  const std::string text = checked_text(bytes, doc);
  if (text.size() > INT_MAX) throw Error("HTML file too large");
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> tree(
      htmlReadMemory(text.data(), static_cast<int>(text.size()), nullptr, "UTF-8",
                     HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET),
      xmlFreeDoc);
  if (!tree) throw Error("cannot parse HTML");
  Walker w(doc);
  w.walk(xmlDocGetRootElement(tree.get()), 0);
  w.flush();
  return doc;
}

}  // namespace airlock::rag
