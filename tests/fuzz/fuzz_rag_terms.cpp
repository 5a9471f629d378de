// libFuzzer target for the saved BM25 term index (terms.idx). The file is a cache that a
// checksum in its companion vouches for, but anyone who can write the collection folder can forge
// both, so its loader checks every count, offset and posting itself. Each input edits the bytes a
// real save wrote (overwrites at chosen offsets, then an optional cut), the companion is made to
// vouch for the result, and the index is opened and searched.
// Findings: a crash, a leak or an out-of-range read (ASan) while loading or searching a forged
// file, or while reading the chunks its hits name (a forged id must end in airlock::Error).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "airlock/error.h"
#include "rag/collection.h"
#include "rag/saved_index.h"
#include "rag/term_index.h"

namespace fs = std::filesystem;
using airlock::rag::Collection;
using airlock::rag::TermIndex;

namespace {

struct Fixture {
  fs::path dir;
  std::unique_ptr<Collection> collection;
  std::vector<uint8_t> saved;  // terms.idx as the real code wrote it
  nlohmann::json meta;         // and its companion

  Fixture() {
    dir = fs::temp_directory_path() / ("airlock-fuzz-terms-" + std::to_string(getpid()));
    fs::remove_all(dir);
    Collection::create(dir, {.embed_model = "none", .chunk_tokens = 64, .overlap_tokens = 8});
    collection = std::make_unique<Collection>(dir);
    const std::vector<std::vector<float>> vec(1, std::vector<float>{1.0f});
    for (int i = 0; i < 12; ++i) {
      const std::string text = "pump " + std::to_string(i) + " valve seal gasket" + std::string(i % 4, 'x');
      collection->replace_document({.path = "doc" + std::to_string(i % 3) + "/" + std::to_string(i),
                                    .hash = std::to_string(i), .format = "text"},
                                   {airlock::rag::Chunk{.text = text, .heading = ""}}, vec);
    }
    TermIndex built(*collection);  // saves terms.idx
    std::ifstream in(file(), std::ios::binary);
    saved.assign(std::istreambuf_iterator<char>(in), {});
    meta = nlohmann::json::parse(std::ifstream(companion()));
  }
  ~Fixture() {
    collection.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path file() const { return dir / "terms.idx"; }
  fs::path companion() const { return dir / "terms.idx.json"; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fx;
  if (fx.saved.empty()) return 0;
  // Input: groups of 5 bytes (2 for the offset, 3 new bytes written there); a final short group
  // cuts the file to that many bytes.
  std::vector<uint8_t> bytes = fx.saved;
  size_t i = 0;
  for (; i + 5 <= size; i += 5) {
    const size_t at = (static_cast<size_t>(data[i]) | static_cast<size_t>(data[i + 1]) << 8) % bytes.size();
    for (size_t k = 0; k < 3 && at + k < bytes.size(); ++k) bytes[at + k] = data[i + 2 + k];
  }
  if (i < size) bytes.resize(std::min(bytes.size(), static_cast<size_t>(data[i]) * 4));
  {
    std::ofstream out(fx.file(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  nlohmann::json meta = fx.meta;
  uint64_t file_size = 0;
  meta["checksum"] = airlock::rag::file_checksum(fx.file(), file_size);
  meta["size"] = file_size;
  std::ofstream(fx.companion(), std::ios::trunc) << meta.dump();

  const TermIndex index(*fx.collection);  // loads the forged file, or refuses it and rebuilds
  for (const char* query : {"pump", "valve seal", "gasket xx", "nothing"}) {
    std::vector<int64_t> ids;
    for (const auto& hit : index.search(fx.collection->terms(query), 20, "doc1")) ids.push_back(hit.chunk_id);
    try {
      fx.collection->chunks(ids);
    } catch (const airlock::Error&) {
      // a forged chunk id: refused by name, as the search routes report it
    }
  }
  return 0;
}
