#include "audit/query.h"

#include <airlock/error.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "audit/segments.h"
#include "common/json_field.h"

namespace airlock::audit {

namespace {

using json = nlohmann::json;

const char* const kCsvColumns[] = {"seq",    "time",  "type",         "request_id",    "client",      "key",
                                   "method", "route", "model",        "model_digest",  "status",      "prompt_tokens",
                                   "eval_tokens", "duration_ms", "action"};

// RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled.
std::string csv_field(const json& v) {
  std::string s = v.is_null() ? "" : v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

bool keeps(const Filter& f, const json& r, const std::string& line) {
  const std::string time = json_string_or(r, "time");
  if (!f.since.empty() && time.compare(0, f.since.size(), f.since) < 0) return false;
  if (!f.until.empty() && time.compare(0, f.until.size(), f.until) > 0) return false;
  if (!f.key.empty() && json_string_or(r, "key") != f.key) return false;
  if (!f.model.empty() && json_string_or(r, "model") != f.model) return false;
  if (!f.type.empty() && json_string_or(r, "type") != f.type) return false;
  return f.text.empty() || line.find(f.text) != std::string::npos;
}

}  // namespace

Format parse_format(const std::string& s) {
  if (s == "jsonl") return Format::Jsonl;
  if (s == "csv") return Format::Csv;
  throw Error("--format: '" + s + "' is not jsonl or csv");
}

size_t write_records(const std::filesystem::path& dir, const Filter& filter, Format format, std::FILE* out) {
  if (!std::filesystem::is_directory(dir)) throw Error("audit: " + dir.string() + " is not a folder");
  if (format == Format::Csv) {
    std::string head;
    for (const char* c : kCsvColumns) head += std::string(head.empty() ? "" : ",") + c;
    std::fprintf(out, "%s\n", head.c_str());
  }
  size_t kept = 0;
  for (const auto& [n, path] : list_segments(dir).segments) {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      const json r = json::parse(line, nullptr, false);
      if (!r.is_object() || !keeps(filter, r, line)) continue;
      ++kept;
      if (format == Format::Jsonl) {
        std::fprintf(out, "%s\n", line.c_str());
        continue;
      }
      std::string row;
      for (const char* c : kCsvColumns) row += std::string(row.empty() ? "" : ",") + csv_field(r.value(c, json()));
      std::fprintf(out, "%s\n", row.c_str());
    }
  }
  return kept;
}

}  // namespace airlock::audit
