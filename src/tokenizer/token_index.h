// Text -> token id lookup over a vocabulary's token strings: an open-addressing table of ids
// (no per-entry allocation), built once at load and probed for every candidate piece while
// tokenising, so it is kept small and cache-friendly.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::tokenizer {

class TokenIndex {
 public:
  // Indexes texts[0..n); of duplicate texts the last id wins, as in the reference.
  void build(const std::vector<std::string>& texts);
  // The id whose text is s, or -1; `texts` must be the vector the index was built from (it is
  // passed rather than kept so that the owner may be moved freely).
  int32_t find(const std::vector<std::string>& texts, std::string_view s) const;

 private:
  struct Slot {
    int32_t id = -1;
    uint32_t hash = 0;
  };
  static uint64_t hash(std::string_view s);
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
};

}  // namespace airlock::tokenizer
