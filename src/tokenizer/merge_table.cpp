#include "tokenizer/merge_table.h"

namespace airlock::tokenizer {

void MergeTable::reserve(size_t n) {
  size_t cap = 16;
  while (cap < n * 2) cap <<= 1;  // load factor <= 0.5
  if (cap <= entries_.size()) return;
  std::vector<Entry> old;
  old.swap(entries_);
  entries_.assign(cap, Entry{});
  mask_ = cap - 1;
  size_ = 0;
  for (const Entry& e : old)
    if (e.key != kEmpty)
      insert(static_cast<int32_t>(e.key >> 32), static_cast<int32_t>(e.key & 0xFFFFFFFF), e.merge);
}

void MergeTable::insert(int32_t left, int32_t right, Merge m) {
  if ((size_ + 1) * 2 > entries_.size()) reserve(size_ + 1);
  const uint64_t k = key(left, right);
  for (uint64_t i = slot_of(k) & mask_;; i = (i + 1) & mask_) {
    Entry& e = entries_[i];
    if (e.key == k) return;
    if (e.key == kEmpty) {
      e = {k, m};
      ++size_;
      return;
    }
  }
}

const MergeTable::Merge* MergeTable::find(int32_t left, int32_t right) const {
  if (entries_.empty()) return nullptr;
  const uint64_t k = key(left, right);
  for (uint64_t i = slot_of(k) & mask_;; i = (i + 1) & mask_) {
    const Entry& e = entries_[i];
    if (e.key == k) return &e.merge;
    if (e.key == kEmpty) return nullptr;
  }
}

}  // namespace airlock::tokenizer
