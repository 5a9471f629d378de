// Which parser reads a file: decided by its extension, as the user named it.
#include <airlock/error.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "rag/parsers.h"

namespace airlock::rag {

std::string format_for_path(std::string_view path) {
  const size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "text";
  std::string ext(name.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  static constexpr std::array<std::string_view, 8> kText = {"txt", "text", "rst", "log", "csv", "tsv", "org", "adoc"};
  static constexpr std::array<std::string_view, 40> kCode = {
      "c",    "h",   "cc",   "cpp",  "cxx",   "hpp", "hh",  "py",   "js",  "mjs",  "ts",  "go",   "rs",   "java",
      "kt",   "rb",  "php",  "pl",   "sh",    "bash", "lua", "sql", "r",   "m",    "cs",  "swift", "scala", "cmake",
      "json", "yaml", "yml", "toml", "ini",   "cfg", "conf", "xml", "proto", "tex", "el",  "hs"};
  if (std::find(kText.begin(), kText.end(), ext) != kText.end()) return "text";
  if (std::find(kCode.begin(), kCode.end(), ext) != kCode.end()) return "code";
  if (ext == "md" || ext == "markdown") return "markdown";
  if (ext == "html" || ext == "htm" || ext == "xhtml") return "html";
  if (ext == "pdf") return "pdf";
  if (ext == "docx") return "docx";
  if (ext == "odt") return "odt";
  // Debian's license texts are GPL-2, LGPL-2.1, Apache-2.0: a version number is no extension.
  if (std::all_of(ext.begin(), ext.end(), [](unsigned char c) { return std::isdigit(c); })) return "text";
  return "";
}

ParsedDocument parse_document(std::string_view format, std::string_view bytes, const ParseLimits& limits) {
  if (bytes.size() > limits.max_expanded_bytes) throw Error("file larger than the limit");
  if (format == "text") return parse_plain_text(bytes);
  if (format == "markdown") return parse_markdown(bytes);
  if (format == "code") return parse_source_code(bytes);
  if (format == "html") return parse_html(bytes);
  if (format == "pdf") return parse_pdf(bytes, limits);
  if (format == "docx") return parse_docx(bytes, limits);
  if (format == "odt") return parse_odt(bytes, limits);
  throw Error("unsupported format '" + std::string(format) + "'");
}

}  // namespace airlock::rag
