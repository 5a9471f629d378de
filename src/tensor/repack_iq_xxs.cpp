// Packs 16 IQ2_XXS or IQ3_XXS rows into one rows-in-lanes group (layouts in repack_iq_xxs.h).
#include "tensor/repack_iq_xxs.h"

#include <cstring>

#include "tensor/quant_blocks.h"
#include "tensor/repack.h"
#include "tensor/repack_rows.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;

namespace {

// What both formats share: the scale nibbles and the decoded signs of row r's eight 32-element
// sub-blocks, from their sign-and-scale words.
void put_signs_and_scales(const uint32_t (&words)[8], int r, uint8_t* scales, uint64_t (&signs)[32][2]) {
  for (int ib = 0; ib < 8; ++ib) {
    scales[16 * (ib / 2) + r] = static_cast<uint8_t>(scales[16 * (ib / 2) + r] | (words[ib] >> 28) << (4 * (ib % 2)));
    for (int l = 0; l < 4; ++l) {
      // The eighth sign makes the count of minus signs even.
      const unsigned code = (words[ib] >> (7 * l)) & 127, sign8 = code | static_cast<unsigned>(__builtin_parity(code)) << 7;
      signs[4 * ib + l][0] |= uint64_t{sign8 & 0xf} << (4 * r);
      signs[4 * ib + l][1] |= uint64_t{sign8 >> 4} << (4 * r);
    }
  }
}

}  // namespace

size_t group_bytes_iq2_xxs(int64_t cols) { return static_cast<size_t>(whole_blocks("iq2_xxs", cols, kQK_K)) * kIQ2XXSBlockBytes; }
size_t group_bytes_iq3_xxs(int64_t cols) { return static_cast<size_t>(whole_blocks("iq3_xxs", cols, kQK_K)) * kIQ3XXSBlockBytes; }

void pack_iq2_xxs(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = whole_blocks("iq2_xxs", cols, kQK_K);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; ++i, out += kIQ2XXSBlockBytes) {
    uint8_t* scales = out + 32;
    uint8_t* idx = scales + 64;
    std::memset(scales, 0, 64);
    uint64_t signs[32][2] = {};
    for (int r = 0; r < kRepackRows; ++r) {
      const auto b = block_at<BlockIQ2_XXS>(rows, row_stride, r, i);
      std::memcpy(out + 2 * r, &b.d, 2);
      // Per 32 elements two words: four index bytes, then the signs and the scale.
      uint32_t words[16];
      std::memcpy(words, b.qs, sizeof words);
      uint32_t sign_words[8];
      for (int ib = 0; ib < 8; ++ib) {
        sign_words[ib] = words[2 * ib + 1];
        for (int l = 0; l < 4; ++l) idx[16 * (4 * ib + l) + r] = static_cast<uint8_t>(words[2 * ib] >> (8 * l));
      }
      put_signs_and_scales(sign_words, r, scales, signs);
    }
    std::memcpy(idx + 512, signs, sizeof signs);
  }
}

void pack_iq3_xxs(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = whole_blocks("iq3_xxs", cols, kQK_K);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; ++i, out += kIQ3XXSBlockBytes) {
    uint8_t* scales = out + 32;
    uint8_t* idx = scales + 64;
    std::memset(scales, 0, 64);
    uint64_t signs[32][2] = {};
    for (int r = 0; r < kRepackRows; ++r) {
      const auto b = block_at<BlockIQ3_XXS>(rows, row_stride, r, i);
      std::memcpy(out + 2 * r, &b.d, 2);
      // 64 index bytes (4 elements each), then one sign-and-scale word per 32 elements.
      for (int k = 0; k < 64; ++k) idx[16 * k + r] = b.qs[k];
      uint32_t sign_words[8];
      std::memcpy(sign_words, b.qs + 64, sizeof sign_words);
      put_signs_and_scales(sign_words, r, scales, signs);
    }
    std::memcpy(idx + 1024, signs, sizeof signs);
  }
}

}  // namespace airlock::repack_lanes
