#include "rag/ann_index.h"

#include <hnswlib/hnswlib.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

namespace airlock::rag {

namespace fs = std::filesystem;

namespace {

// Graph shape: 16 links per node and a construction breadth of 100 give recall@10 above 0.95 at
// search breadth 200 on a million 384-dimension vectors (bench/rag), at ~130 bytes per row.
constexpr size_t kLinks = 16;
constexpr size_t kBuildEf = 100;
// Search breadth, set once (hnswlib keeps it in the graph, unsynchronised): k is at most this.
constexpr size_t kSearchEf = 200;

// FNV-1a over the file: detects a truncated or damaged graph (hnswlib's loader trusts its input).
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

fs::path meta_path(const fs::path& file) { return fs::path(file.string() + ".json"); }

}  // namespace

AnnIndex::AnnIndex(size_t dim) : space_(std::make_unique<hnswlib::InnerProductSpace>(dim)) {}
AnnIndex::~AnnIndex() = default;

std::unique_ptr<AnnIndex> AnnIndex::open_or_build(const fs::path& file, int64_t generation, const float* rows,
                                                  size_t n, size_t dim) {
  std::unique_ptr<AnnIndex> ix(new AnnIndex(dim));
  try {
    std::ifstream meta_in(meta_path(file));
    if (meta_in) {
      const auto meta = nlohmann::json::parse(meta_in);
      uint64_t size = 0;
      if (meta.at("generation") == generation && meta.at("rows") == n && meta.at("dim") == dim &&
          meta.at("checksum") == file_checksum(file, size) && meta.at("size") == size) {
        ix->graph_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(ix->space_.get(), file.string(), false, n);
        ix->loaded_ = ix->graph_->cur_element_count == n;
      }
    }
  } catch (const std::exception&) {
    // unreadable, stale or damaged: rebuilt below
  }
  if (ix->loaded_) {
    ix->graph_->setEf(kSearchEf);
    return ix;
  }
  ix->graph_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(ix->space_.get(), n, kLinks, kBuildEf);
  // The first point alone, then the rest on all cores (hnswlib's insertion is thread-safe).
  if (n > 0) ix->graph_->addPoint(rows, 0);
  const size_t workers = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<size_t> next{1};
  std::vector<std::thread> pool;
  for (size_t w = 0; w < workers; ++w)
    pool.emplace_back([&] {
      for (size_t r; (r = next.fetch_add(1)) < n;) ix->graph_->addPoint(rows + r * dim, r);
    });
  for (auto& t : pool) t.join();
  ix->graph_->setEf(kSearchEf);
  // Saved for the next process; a collection on a read-only mount just keeps it in memory.
  try {
    const std::string tmp = file.string() + ".tmp" + std::to_string(::getpid());
    ix->graph_->saveIndex(tmp);
    uint64_t size = 0;
    const uint64_t sum = file_checksum(tmp, size);
    fs::rename(tmp, file);
    const nlohmann::json meta = {{"generation", generation}, {"rows", n}, {"dim", dim}, {"size", size}, {"checksum", sum}};
    const std::string meta_tmp = meta_path(file).string() + ".tmp" + std::to_string(::getpid());
    std::ofstream(meta_tmp) << meta.dump();
    fs::rename(meta_tmp, meta_path(file));
  } catch (const std::exception&) {
  }
  return ix;
}

std::vector<std::pair<size_t, float>> AnnIndex::search(std::span<const float> query, size_t k) const {
  auto heap = graph_->searchKnn(query.data(), k);
  std::vector<std::pair<size_t, float>> out(heap.size());
  for (size_t i = heap.size(); i-- > 0; heap.pop()) out[i] = {heap.top().second, 1.0f - heap.top().first};
  return out;
}

}  // namespace airlock::rag
