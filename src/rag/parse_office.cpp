// DOCX and ODT: a zip archive (libarchive) holding one XML body (libxml2). Only that entry is
// read, and only up to the expansion limit whatever size its header claims, so a zip bomb costs
// at most that much memory. Entities are not expanded and the network is never used.
#include <archive.h>
#include <archive_entry.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <airlock/error.h>

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "rag/parsers.h"
#include "rag/text_clean.h"

namespace airlock::rag {

namespace {

std::string read_zip_entry(std::string_view zip, const char* wanted, size_t limit) {
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_zip(a.get());
  if (archive_read_open_memory(a.get(), zip.data(), zip.size()) != ARCHIVE_OK)
    throw Error("not a zip archive: " + std::string(archive_error_string(a.get()) ? archive_error_string(a.get()) : "?"));
  archive_entry* e = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    const char* name = archive_entry_pathname(e);
    if (!name || std::strcmp(name, wanted) != 0) continue;
    if (archive_entry_size_is_set(e) && static_cast<uint64_t>(archive_entry_size(e)) > limit)
      throw Error(std::string(wanted) + " expands to more than the limit (" + std::to_string(limit >> 20) + " MiB)");
    std::string out;
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) {
      if (out.size() + static_cast<size_t>(n) > limit)
        throw Error(std::string(wanted) + " expands to more than the limit (" + std::to_string(limit >> 20) + " MiB)");
      out.append(buf, static_cast<size_t>(n));
    }
    if (n < 0) throw Error(std::string("corrupt archive entry ") + wanted);
    return out;
  }
  if (rc == ARCHIVE_FATAL) throw Error("corrupt zip archive");
  throw Error(std::string("no ") + wanted + " in the archive");
}

using XmlDoc = std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)>;

XmlDoc read_xml(const std::string& xml) {
  if (xml.size() > INT_MAX) throw Error("document XML too large");
  XmlDoc d(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr,
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
           xmlFreeDoc);
  if (!d) throw Error("document XML is not well-formed");
  return d;
}

bool named(const xmlNode* n, const char* local) {
  return n->type == XML_ELEMENT_NODE && std::strcmp(reinterpret_cast<const char*>(n->name), local) == 0;
}

std::string attr(const xmlNode* n, const char* local) {
  for (const xmlAttr* a = n->properties; a; a = a->next)
    if (std::strcmp(reinterpret_cast<const char*>(a->name), local) == 0 && a->children && a->children->content)
      return reinterpret_cast<const char*>(a->children->content);
  return {};
}

void push(ParsedDocument& doc, BlockKind kind, std::string text, int level) {
  size_t replaced = 0;
  text = valid_utf8(collapse_spaces(text), replaced);
  doc.invalid_utf8 += replaced;
  if (!text.empty()) doc.blocks.push_back({.kind = kind, .text = std::move(text), .level = level});
}

// --- DOCX: w:p paragraphs; runs' w:t text; heading levels and lists from the paragraph style.
void docx_text(const xmlNode* n, std::string& out, int depth) {
  for (; n && depth < 256; n = n->next) {
    if (named(n, "t") && n->children && n->children->content) out += reinterpret_cast<const char*>(n->children->content);
    else if (named(n, "tab")) out += '\t';
    else if (named(n, "br") || named(n, "cr")) out += '\n';
    else if (n->type == XML_ELEMENT_NODE && !named(n, "pPr")) docx_text(n->children, out, depth + 1);
  }
}

void docx_walk(const xmlNode* n, ParsedDocument& doc, int depth) {
  for (; n && depth < 256; n = n->next) {
    if (!named(n, "p")) {
      if (n->type == XML_ELEMENT_NODE) docx_walk(n->children, doc, depth + 1);
      continue;
    }
    BlockKind kind = BlockKind::Paragraph;
    int level = 0;
    for (const xmlNode* c = n->children; c; c = c->next) {
      if (!named(c, "pPr")) continue;
      for (const xmlNode* p = c->children; p; p = p->next) {
        if (named(p, "numPr")) kind = BlockKind::ListItem;
        if (!named(p, "pStyle")) continue;
        const std::string style = attr(p, "val");
        if (style == "Title") kind = BlockKind::Heading, level = 1;
        else if (style.starts_with("Heading") && style.size() == 8 && style[7] >= '1' && style[7] <= '6')
          kind = BlockKind::Heading, level = style[7] - '0';
        else if (style.starts_with("List")) kind = BlockKind::ListItem;
      }
    }
    std::string text;
    docx_text(n->children, text, depth + 1);
    push(doc, kind, std::move(text), level);
  }
}

// --- ODT: text:h headings (outline level), text:p paragraphs, inside text:list-item a list item.
void odt_text(const xmlNode* n, std::string& out, int depth) {
  for (; n && depth < 256; n = n->next) {
    if (n->type == XML_TEXT_NODE && n->content) out += reinterpret_cast<const char*>(n->content);
    else if (named(n, "s")) out += ' ';
    else if (named(n, "tab")) out += '\t';
    else if (named(n, "line-break")) out += '\n';
    else if (n->type == XML_ELEMENT_NODE && !named(n, "note")) odt_text(n->children, out, depth + 1);
  }
}

void odt_walk(const xmlNode* n, ParsedDocument& doc, bool in_list, int depth) {
  for (; n && depth < 256; n = n->next) {
    if (named(n, "h") || named(n, "p")) {
      std::string text;
      odt_text(n->children, text, depth + 1);
      int level = 0;
      if (named(n, "h")) {
        level = std::atoi(attr(n, "outline-level").c_str());
        level = level < 1 ? 1 : level > 6 ? 6 : level;
      }
      push(doc, level ? BlockKind::Heading : in_list ? BlockKind::ListItem : BlockKind::Paragraph, std::move(text), level);
    } else if (n->type == XML_ELEMENT_NODE) {
      odt_walk(n->children, doc, in_list || named(n, "list-item"), depth + 1);
    }
  }
}

}  // namespace

ParsedDocument parse_docx(std::string_view bytes, const ParseLimits& limits) {
  const XmlDoc xml = read_xml(read_zip_entry(bytes, "word/document.xml", limits.max_expanded_bytes));
  ParsedDocument doc{.format = "docx"};
  docx_walk(xmlDocGetRootElement(xml.get()), doc, 0);
  return doc;
}

ParsedDocument parse_odt(std::string_view bytes, const ParseLimits& limits) {
  const XmlDoc xml = read_xml(read_zip_entry(bytes, "content.xml", limits.max_expanded_bytes));
  ParsedDocument doc{.format = "odt"};
  odt_walk(xmlDocGetRootElement(xml.get()), doc, false, 0);
  return doc;
}

}  // namespace airlock::rag
