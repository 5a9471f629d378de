// The document parsers on small hand-written documents: structure, line numbers, and clean
// errors (never a crash) for binary garbage, invalid UTF-8, corrupt and oversized archives.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <airlock/error.h>

#include <string>

#include "rag/parsers.h"

using namespace airlock;
using namespace airlock::rag;

namespace {

// A zip archive in memory holding the given entries (the way DOCX/ODT files are made).
std::string make_zip(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out(1 << 22, '\0');
  size_t used = 0;
  archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  archive_write_open_memory(a, out.data(), out.size(), &used);
  for (const auto& [name, data] : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

}  // namespace

TEST(RagFormat, FromFileName) {
  EXPECT_EQ(format_for_path("/a/README"), "text");
  EXPECT_EQ(format_for_path("/usr/share/common-licenses/LGPL-2.1"), "text");
  EXPECT_EQ(format_for_path("x/guide.MD"), "markdown");
  EXPECT_EQ(format_for_path("page.htm"), "html");
  EXPECT_EQ(format_for_path("main.cpp"), "code");
  EXPECT_EQ(format_for_path("r.pdf"), "pdf");
  EXPECT_EQ(format_for_path("r.docx"), "docx");
  EXPECT_EQ(format_for_path("photo.jpg"), "");
}

TEST(RagParse, MarkdownStructureAndLines) {
  const auto d = parse_markdown("# Install\n\nRun the installer.\nThen reboot.\n\n## Linux\n- one\n- two\n\n```sh\nmake\n\nmake install\n```\nSetext\n===\n");
  ASSERT_EQ(d.blocks.size(), 7u);
  EXPECT_EQ(d.blocks[0].kind, BlockKind::Heading);
  EXPECT_EQ(d.blocks[0].text, "Install");
  EXPECT_EQ(d.blocks[1].text, "Run the installer.\nThen reboot.");
  EXPECT_EQ(d.blocks[1].line_first, 3);
  EXPECT_EQ(d.blocks[1].line_last, 4);
  EXPECT_EQ(d.blocks[2].level, 2);
  EXPECT_EQ(d.blocks[3].kind, BlockKind::ListItem);
  EXPECT_EQ(d.blocks[4].text, "- two");
  // The blank line inside the fence does not end the code block.
  EXPECT_EQ(d.blocks[5].kind, BlockKind::Code);
  EXPECT_EQ(d.blocks[5].line_first, 10);
  EXPECT_EQ(d.blocks[5].line_last, 14);
  EXPECT_EQ(d.blocks[6].kind, BlockKind::Heading);
  EXPECT_EQ(d.blocks[6].text, "Setext");
}

TEST(RagParse, HtmlDropsScriptsKeepsHeadings) {
  const auto d = parse_html(
      "<html><head><title>t</title><style>p{}</style></head><body>\n<h1>Safety</h1>\n<p>Wear   "
      "gloves.</p><script>alert(1)</script>\n<ul><li>Goggles</li></ul><pre>a  b\nc</pre></body></html>");
  ASSERT_EQ(d.blocks.size(), 4u);
  EXPECT_EQ(d.blocks[0].kind, BlockKind::Heading);
  EXPECT_EQ(d.blocks[0].level, 1);
  EXPECT_EQ(d.blocks[1].text, "Wear gloves.");
  EXPECT_EQ(d.blocks[1].line_first, 3);
  EXPECT_EQ(d.blocks[2].kind, BlockKind::ListItem);
  EXPECT_EQ(d.blocks[3].text, "a  b\nc");
}

TEST(RagParse, BinaryAndInvalidUtf8) {
  EXPECT_THROW(parse_plain_text(std::string("ab\0cd", 5)), Error);
  EXPECT_THROW(parse_plain_text(std::string(200, '\xff')), Error);
  // A few stray bytes in real text are repaired, counted, and the text kept.
  const auto d = parse_plain_text("caf\xe9 au lait is a drink that many people enjoy every morning\n");
  EXPECT_EQ(d.invalid_utf8, 1u);
  EXPECT_NE(d.blocks.at(0).text.find("caf\xEF\xBF\xBD au"), std::string::npos);
}

TEST(RagParse, DocxHeadingsListsParagraphs) {
  const std::string xml =
      R"(<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>)"
      R"(<w:p><w:pPr><w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t>Scope</w:t></w:r></w:p>)"
      R"(<w:p><w:r><w:t>Applies to </w:t></w:r><w:r><w:t>all sites.</w:t></w:r></w:p>)"
      R"(<w:p><w:pPr><w:numPr/></w:pPr><w:r><w:t>first step</w:t></w:r></w:p></w:body></w:document>)";
  const auto d = parse_docx(make_zip({{"[Content_Types].xml", "<x/>"}, {"word/document.xml", xml}}), {});
  ASSERT_EQ(d.blocks.size(), 3u);
  EXPECT_EQ(d.blocks[0].kind, BlockKind::Heading);
  EXPECT_EQ(d.blocks[0].level, 2);
  EXPECT_EQ(d.blocks[1].text, "Applies to all sites.");
  EXPECT_EQ(d.blocks[2].kind, BlockKind::ListItem);
}

TEST(RagParse, OdtHeadingsAndLists) {
  const std::string xml =
      R"(<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>)"
      R"(<text:h text:outline-level="1">Intro</text:h><text:p>Hello<text:s/>world</text:p>)"
      R"(<text:list><text:list-item><text:p>item</text:p></text:list-item></text:list></office:text></office:body></office:document-content>)";
  const auto d = parse_odt(make_zip({{"content.xml", xml}}), {});
  ASSERT_EQ(d.blocks.size(), 3u);
  EXPECT_EQ(d.blocks[0].kind, BlockKind::Heading);
  EXPECT_EQ(d.blocks[1].text, "Hello world");
  EXPECT_EQ(d.blocks[2].kind, BlockKind::ListItem);
}

TEST(RagParse, ZipBombEntryIsRefused) {
  // 8 MiB of zeros compresses to a few KiB; with a 1 MiB expansion limit it must be refused.
  const std::string zip = make_zip({{"word/document.xml", std::string(8 << 20, '\0')}});
  ASSERT_LT(zip.size(), 100000u);
  try {
    parse_docx(zip, {.max_expanded_bytes = 1 << 20});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("limit"), std::string::npos) << e.what();
  }
}

TEST(RagParse, GarbageIsAnErrorNotACrash) {
  std::string garbage;
  for (int i = 0; i < 5000; ++i) garbage += static_cast<char>((i * 7919) % 251);
  EXPECT_THROW(parse_docx(garbage, {}), Error);
  EXPECT_THROW(parse_odt("PK\x03\x04 truncated", {}), Error);
  EXPECT_THROW(parse_pdf(garbage, {}), Error);
  EXPECT_THROW(parse_pdf("%PDF-1.4\n1 0 obj broken", {}), Error);
  EXPECT_THROW(parse_docx(make_zip({{"word/document.xml", "<w:document><unclosed>"}}), {}), Error);
}
