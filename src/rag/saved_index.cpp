#include "rag/saved_index.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <vector>

namespace airlock::rag {

namespace fs = std::filesystem;

namespace {
fs::path meta_path(const fs::path& file) { return fs::path(file.string() + ".json"); }
}  // namespace

uint64_t file_checksum(const fs::path& p, uint64_t& size) {
  std::ifstream in(p, std::ios::binary);
  uint64_t h = 1469598103934665603ull;
  size = 0;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<size_t>(in.gcount());
    for (size_t i = 0; i < got; ++i) h = (h ^ static_cast<unsigned char>(buf[i])) * 1099511628211ull;
    size += got;
  }
  return h;
}

fs::path temp_beside(const fs::path& file) {
  // Unique per process and call: two server threads may save the same collection's index at once.
  static std::atomic<uint64_t> calls{0};
  return fs::path(file.string() + ".tmp" + std::to_string(::getpid()) + "-" + std::to_string(calls++));
}

void commit_saved(const fs::path& tmp, const fs::path& file, nlohmann::json meta) {
  uint64_t size = 0;
  meta["checksum"] = file_checksum(tmp, size);
  meta["size"] = size;
  fs::rename(tmp, file);
  const fs::path meta_tmp = temp_beside(meta_path(file));
  {
    std::ofstream out(meta_tmp);
    out << meta.dump();
    if (!out.flush()) throw std::runtime_error("cannot write " + meta_tmp.string());
  }
  fs::rename(meta_tmp, meta_path(file));
}

std::optional<nlohmann::json> read_saved_meta(const fs::path& file) {
  try {
    std::ifstream in(meta_path(file));
    if (!in) return std::nullopt;
    auto meta = nlohmann::json::parse(in);
    uint64_t size = 0;
    if (meta.at("checksum") != file_checksum(file, size) || meta.at("size") != size) return std::nullopt;
    return meta;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace airlock::rag
