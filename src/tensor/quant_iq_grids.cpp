#include "tensor/quant_iq_grids.h"

#include <cstddef>

namespace airlock::quant {

namespace {

#include "tensor/quant_iq_grid_codes.inc"

// Entry k: the levels named by the base-L digits of codes[k], element 0 in the lowest byte.
template <class Word, size_t N, size_t L>
constexpr std::array<Word, N> expand(const uint16_t (&codes)[N], const uint8_t (&levels)[L]) {
  std::array<Word, N> out{};
  for (size_t k = 0; k < N; ++k) {
    unsigned c = codes[k];
    Word w = 0;
    for (size_t j = 0; j < sizeof(Word); ++j, c /= L) w |= static_cast<Word>(levels[c % L]) << (8 * j);
    out[k] = w;
  }
  return out;
}

constexpr uint8_t kIQ2Levels[] = {8, 25, 43};
constexpr uint8_t kIQ3XXSLevels[] = {4, 12, 20, 28, 36, 44, 52, 62};
constexpr uint8_t kIQ3SLevels[] = {1, 3, 5, 7, 9, 11, 13, 15};
constexpr uint8_t kIQ1Levels[] = {0xff, 0, 1};
constexpr uint8_t kIQ1LevelsTimes8Plus8[] = {0, 8, 16};

constexpr uint64_t byte_mask(unsigned bits) {
  uint64_t m = 0;
  for (int j = 0; j < 8; ++j)
    if (bits >> j & 1) m |= uint64_t{0xff} << (8 * j);
  return m;
}

template <size_t N>
constexpr std::array<uint64_t, N> masks(bool parity) {
  std::array<uint64_t, N> out{};
  for (unsigned i = 0; i < N; ++i) {
    unsigned bits = i;
    if (parity && __builtin_popcount(i) % 2) bits |= 0x80;
    out[i] = byte_mask(bits);
  }
  return out;
}

}  // namespace

const std::array<uint64_t, 256> kIQ2XXSGrid = expand<uint64_t>(kIQ2XXSCodes, kIQ2Levels);
const std::array<uint64_t, 512> kIQ2XSGrid = expand<uint64_t>(kIQ2XSCodes, kIQ2Levels);
const std::array<uint64_t, 1024> kIQ2SGrid = expand<uint64_t>(kIQ2SCodes, kIQ2Levels);
const std::array<uint32_t, 256> kIQ3XXSGrid = expand<uint32_t>(kIQ3XXSCodes, kIQ3XXSLevels);
const std::array<uint32_t, 512> kIQ3SGrid = expand<uint32_t>(kIQ3SCodes, kIQ3SLevels);
const std::array<uint64_t, 2048> kIQ1SGrid = expand<uint64_t>(kIQ1SCodes, kIQ1Levels);
const std::array<uint64_t, 2048> kIQ1SGridUnsigned = expand<uint64_t>(kIQ1SCodes, kIQ1LevelsTimes8Plus8);
const std::array<uint64_t, 128> kSignMask = masks<128>(true);
const std::array<uint64_t, 256> kByteMask = masks<256>(false);

}  // namespace airlock::quant
