// Packs 16 rows of a 32-element legacy quant (Q8_0, Q4_0, Q5_0) into one rows-in-lanes group
// (layouts in repack_q6_K_legacy.h). Each type's group block holds the 16 fp16 scales first; what
// follows is the type's own: the per-type `place` functions below write it for one row.
#include <cstring>

#include "tensor/quant_blocks.h"
#include "tensor/repack_q6_K_legacy.h"
#include "tensor/repack_rows.h"

namespace airlock::kernels {

using namespace airlock::quant;

namespace {

constexpr size_t kScaleBytes = 2 * kRepackRows;

// A group block is as big as the 16 file blocks it holds.
template <class Block>
size_t group_bytes(const char* type, int64_t cols) {
  return static_cast<size_t>(whole_blocks(type, cols, kQK)) * kRepackRows * sizeof(Block);
}

template <class Block, class Place>
void pack(const char* type, const void* rows, size_t row_stride, int64_t cols, void* dst, Place place) {
  const int64_t nb = whole_blocks(type, cols, kQK);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t b = 0; b < nb; ++b, out += kRepackRows * sizeof(Block)) {
    for (int r = 0; r < kRepackRows; ++r) {
      const auto blk = block_at<Block>(rows, row_stride, r, b);
      std::memcpy(out + 2 * r, &blk.d, 2);
      place(blk, r, out + kScaleBytes);
    }
  }
}

// vpdpbusd wants the weight operand unsigned: store w + 128 (flipping the sign bit); the kernel
// takes 128 * sum(a) back off. Vector k, lane r: row r's qs[4k..4k+3].
void place_q8_0(const BlockQ8_0& blk, int r, uint8_t* out) {
  for (int k = 0; k < kQK / 4; ++k) {
    uint32_t v;
    std::memcpy(&v, blk.qs + 4 * k, 4);
    v ^= 0x80808080u;
    std::memcpy(out + 64 * k + 4 * r, &v, 4);
  }
}

// The nibble order stays GGUF's: dword j of a row holds elements 4j..4j+3 (low nibbles) and
// 16+4j.. (high nibbles), so the kernel's activation offsets follow directly.
void place_nibbles(const uint8_t* qs, int r, uint8_t* out) {
  for (int j = 0; j < 4; ++j) std::memcpy(out + 64 * j + 4 * r, qs + 4 * j, 4);
}

void place_q4_0(const BlockQ4_0& blk, int r, uint8_t* out) { place_nibbles(blk.qs, r, out); }
// IQ4_NL's nibbles are codebook indices; the kernel looks them up.
void place_iq4_nl(const BlockIQ4_NL& blk, int r, uint8_t* out) { place_nibbles(blk.qs, r, out); }

// 64 bytes of fifth bits, then the nibbles as Q4_0. Byte i of the row's bit dword: bits 2j and
// 2j+1 are the fifth bits of the elements whose nibbles sit in byte i of nibble dword j (4j+i low,
// 16+4j+i high).
void place_q5_0(const BlockQ5_0& blk, int r, uint8_t* out) {
  uint32_t qh;  // bit e: the fifth bit of element e
  std::memcpy(&qh, blk.qh, 4);
  for (int i = 0; i < 4; ++i) {
    uint8_t bits = 0;
    for (int j = 0; j < 4; ++j)
      bits |= static_cast<uint8_t>((qh >> (4 * j + i) & 1) << (2 * j) | (qh >> (16 + 4 * j + i) & 1) << (2 * j + 1));
    out[4 * r + i] = bits;
  }
  place_nibbles(blk.qs, r, out + 64);
}

}  // namespace

size_t q8_0_x16_group_bytes(int64_t cols) { return group_bytes<BlockQ8_0>("q8_0", cols); }
size_t q4_0_x16_group_bytes(int64_t cols) { return group_bytes<BlockQ4_0>("q4_0", cols); }
size_t q5_0_x16_group_bytes(int64_t cols) { return group_bytes<BlockQ5_0>("q5_0", cols); }
size_t iq4_nl_x16_group_bytes(int64_t cols) { return group_bytes<BlockIQ4_NL>("iq4_nl", cols); }

void q8_0_x16_pack(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  pack<BlockQ8_0>("q8_0", rows, row_stride, cols, dst, place_q8_0);
}
void q4_0_x16_pack(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  pack<BlockQ4_0>("q4_0", rows, row_stride, cols, dst, place_q4_0);
}
void q5_0_x16_pack(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  pack<BlockQ5_0>("q5_0", rows, row_stride, cols, dst, place_q5_0);
}
void iq4_nl_x16_pack(const void* rows, size_t row_stride, int64_t cols, void* dst) {
  pack<BlockIQ4_NL>("iq4_nl", rows, row_stride, cols, dst, place_iq4_nl);
}

}  // namespace airlock::kernels
