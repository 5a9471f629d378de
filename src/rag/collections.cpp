#include "rag/collections.h"

#include <airlock/error.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace airlock::rag {

namespace fs = std::filesystem;

fs::path collections_dir(const fs::path& store_dir) { return store_dir / "rag"; }

void check_collection_name(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name[0])) &&
                  std::all_of(name.begin(), name.end(), [](unsigned char c) {
                    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
                  });
  if (!ok) throw Error("bad collection name '" + name + "': use 1-64 of a-z 0-9 . _ - starting with a letter or digit");
}

fs::path collection_dir(const fs::path& store_dir, const std::string& name) {
  check_collection_name(name);
  return collections_dir(store_dir) / name;
}

std::vector<std::string> list_collections(const fs::path& store_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(collections_dir(store_dir), ec)) {
    const std::string n = e.path().filename().string();
    if (n.starts_with(".") || !fs::is_regular_file(e.path() / "collection.db", ec)) continue;
    out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void create_collection(const fs::path& store_dir, const std::string& name, const CollectionSettings& s) {
  if (s.embed_model.empty()) throw Error("an embedding model is required");
  if (s.chunk_tokens < 16 || s.chunk_tokens > 8192) throw Error("chunk tokens must be 16..8192");
  if (s.overlap_tokens < 0 || s.overlap_tokens * 2 > s.chunk_tokens) throw Error("overlap must be 0..half the chunk tokens");
  Collection::create(collection_dir(store_dir, name), s);
}

void remove_collection(const fs::path& store_dir, const std::string& name) {
  const fs::path dir = collection_dir(store_dir, name);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error("no collection '" + name + "'", ErrorKind::NotFound);
  const fs::path trash = dir.parent_path() / (".removed-" + name + "-" + std::to_string(::getpid()));
  fs::rename(dir, trash);
  fs::remove_all(trash, ec);
}

}  // namespace airlock::rag
