#include "tokenizer/token_index.h"

#include <cstring>

namespace airlock::tokenizer {

uint64_t TokenIndex::hash(std::string_view s) {
  // FNV-1a over 8-byte words, then a final mix: fast for short token strings.
  uint64_t h = 0xcbf29ce484222325ULL ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0x100000001b3ULL;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  h = (h ^ tail) * 0x100000001b3ULL;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 32;
  return h;
}

void TokenIndex::build(const std::vector<std::string>& texts) {
  size_t cap = 16;
  while (cap < texts.size() * 2) cap <<= 1;  // load factor <= 0.5
  slots_.assign(cap, Slot{});
  mask_ = cap - 1;
  for (size_t id = 0; id < texts.size(); ++id) {
    const uint64_t h = hash(texts[id]);
    for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.id < 0 || (s.hash == static_cast<uint32_t>(h) && texts[s.id] == texts[id])) {
        s = {static_cast<int32_t>(id), static_cast<uint32_t>(h)};
        break;
      }
    }
  }
}

int32_t TokenIndex::find(const std::vector<std::string>& texts, std::string_view s) const {
  if (slots_.empty()) return -1;
  const uint64_t h = hash(s);
  for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.id < 0) return -1;
    if (slot.hash == static_cast<uint32_t>(h) && texts[slot.id] == s) return slot.id;
  }
}

}  // namespace airlock::tokenizer
