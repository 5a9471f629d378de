// `airlock audit search` and `export`: reads an audit folder's records in order (without
// checking the chain: that is `audit verify`) and keeps those a filter selects.
#pragma once
#include <cstdio>
#include <filesystem>
#include <string>

namespace airlock::audit {

struct Filter {
  std::string since, until;  // ISO-8601 UTC times or their prefixes ("2026-12-06"); empty: open
  std::string key;           // API key name
  std::string model;         // model name (as requested)
  std::string text;          // substring anywhere in the record (prompt, answer, route, ...)
  std::string type;          // request | admin | ...
};

enum class Format { Jsonl, Csv };
Format parse_format(const std::string& s);  // "jsonl" | "csv"; throws airlock::Error

// Writes the records the filter keeps to `out`; returns how many. Throws airlock::Error for a
// folder that cannot be read.
size_t write_records(const std::filesystem::path& dir, const Filter& filter, Format format, std::FILE* out);

}  // namespace airlock::audit
