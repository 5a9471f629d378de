// Packs 16 Q4_1 or Q5_1 rows into one rows-in-lanes group (layouts in repack_q4_1_q5_1.h).
#include "tensor/repack_q4_1_q5_1.h"

#include <cstring>

#include "tensor/quant_blocks.h"
#include "tensor/repack.h"
#include "tensor/repack_rows.h"

namespace airlock::repack_lanes {

using namespace airlock::quant;

namespace {

void place_nibbles(const uint8_t* qs, int r, uint8_t* out) {
  for (int j = 0; j < 4; ++j) std::memcpy(out + 64 * j + 4 * r, qs + 4 * j, 4);
}

// Byte i of the row's dword: bits 2j and 2j+1 are the fifth bits of elements 4j+i and 16+4j+i.
void place_fifth_bits(const uint8_t* qh_bytes, int r, uint8_t* out) {
  uint32_t qh;  // bit e: the fifth bit of element e
  std::memcpy(&qh, qh_bytes, 4);
  for (int i = 0; i < 4; ++i) {
    uint8_t bits = 0;
    for (int j = 0; j < 4; ++j)
      bits |= static_cast<uint8_t>((qh >> (4 * j + i) & 1) << (2 * j) | (qh >> (16 + 4 * j + i) & 1) << (2 * j + 1));
    out[4 * r + i] = bits;
  }
}

}  // namespace

size_t group_bytes_q4_1(int64_t cols) { return static_cast<size_t>(whole_blocks("q4_1", cols, kQK)) * kRepackRows * sizeof(BlockQ4_1); }
size_t group_bytes_q5_1(int64_t cols) { return static_cast<size_t>(whole_blocks("q5_1", cols, kQK)) * kRepackRows * sizeof(BlockQ5_1); }

void pack_q4_1(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = whole_blocks("q4_1", cols, kQK);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t b = 0; b < nb; ++b, out += kRepackRows * sizeof(BlockQ4_1))
    for (int r = 0; r < kRepackRows; ++r) {
      const auto blk = block_at<BlockQ4_1>(rows, row_stride, r, b);
      std::memcpy(out + 2 * r, &blk.d, 2);
      std::memcpy(out + 32 + 2 * r, &blk.m, 2);
      place_nibbles(blk.qs, r, out + 64);
    }
}

void pack_q5_1(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  const int64_t nb = whole_blocks("q5_1", cols, kQK);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t b = 0; b < nb; ++b, out += kRepackRows * sizeof(BlockQ5_1))
    for (int r = 0; r < kRepackRows; ++r) {
      const auto blk = block_at<BlockQ5_1>(rows, row_stride, r, b);
      std::memcpy(out + 2 * r, &blk.d, 2);
      std::memcpy(out + 32 + 2 * r, &blk.m, 2);
      place_fifth_bits(blk.qh, r, out + 64);
      place_nibbles(blk.qs, r, out + 128);
    }
}

}  // namespace airlock::repack_lanes
