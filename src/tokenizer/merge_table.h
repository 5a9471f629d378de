// BPE merge ranks keyed on the pair of symbol ids: an open-addressing table, since it is probed
// for every adjacent pair while tokenising and filled with hundreds of thousands of merges at load.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace airlock::tokenizer {

class MergeTable {
 public:
  struct Merge {
    int32_t rank;
    int32_t result;  // symbol id of the merged pair
  };

  void reserve(size_t n);
  // Adds (left, right) -> merge unless the pair is already present: the first rank wins.
  void insert(int32_t left, int32_t right, Merge m);
  // The merge of (left, right), or nullptr.
  const Merge* find(int32_t left, int32_t right) const;

 private:
  struct Entry {
    uint64_t key = kEmpty;
    Merge merge{};
  };
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // ids are non-negative: never a real key
  static uint64_t key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  static uint64_t slot_of(uint64_t k) { return (k * 0x9E3779B97F4A7C15ULL) >> 20; }
  void grow();

  std::vector<Entry> entries_;
  size_t size_ = 0;
  uint64_t mask_ = 0;
};

}  // namespace airlock::tokenizer
