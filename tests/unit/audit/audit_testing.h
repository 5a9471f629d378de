// Helpers for the audit tests: a temporary folder and line-level edits of a segment file.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "audit/trail.h"
#include "support/temp_dir.h"

namespace airlock::audit::testing {

using TempDir = test_support::TempDir;

inline std::vector<std::string> read_lines(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

inline void write_lines(const std::filesystem::path& p, const std::vector<std::string>& lines) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  for (const auto& l : lines) out << l << '\n';
}

// Appends n request records through a fresh writer.
inline void write_records(const TrailOptions& o, int n, const std::string& model = "demo") {
  Trail t(o);
  for (int i = 0; i < n; ++i)
    t.append({{"type", "request"}, {"route", "/api/generate"}, {"model", model}, {"prompt", "question " + std::to_string(i)}});
}

}  // namespace airlock::audit::testing
