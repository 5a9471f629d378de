// Reads a tar into memory and writes (possibly hostile) tars back, for the bundle tests.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace airlock::store_testing {

struct TarEntry {
  enum Kind { File, Dir, Symlink, Hardlink, CharDevice, Fifo } kind = File;
  std::string path;
  std::string data;  // File only
  std::string link;  // Symlink / Hardlink target
};

std::vector<TarEntry> read_tar(const std::filesystem::path& p);
void write_tar(const std::filesystem::path& p, const std::vector<TarEntry>& entries);

}  // namespace airlock::store_testing
