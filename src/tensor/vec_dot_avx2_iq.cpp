// AVX2 dot products of the lattice i-quants and the ternary types with Q8_K activations, and of
// MXFP4 with Q8_0. Each 32-element group is assembled as signed int8 quants from four 64-bit grid
// entries (sign masks applied as (g ^ m) - m), multiplied with the activations by the sign trick,
// and weighted by its two 16-element scales; the block factor is applied in float. Used on the
// AVX-512 path too.
#include <immintrin.h>

#include "tensor/quant_iq_decode.h"
#include "tensor/simd_avx2.h"
#include "tensor/vec_dot.h"

namespace airlock::kernels {

using namespace airlock::quant;
using namespace avx2;

namespace {

// Four 64-bit words as one vector, word 0 lowest.
__m256i words(uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3) {
  return _mm256_set_epi64x(static_cast<long long>(w3), static_cast<long long>(w2), static_cast<long long>(w1),
                           static_cast<long long>(w0));
}

__m256i negate_where(__m256i g, __m256i mask) { return _mm256_sub_epi8(_mm256_xor_si256(g, mask), mask); }

// 32 quants of group ib and the scales of its two halves.
struct Group {
  __m256i q;
  int lo, hi;
};

Group group(const BlockIQ2_XXS& b, int ib) {
  uint32_t aux[2];
  std::memcpy(aux, b.qs + 4 * ib, 8);
  const auto g = [&](int l) { return kIQ2XXSGrid[(aux[0] >> (8 * l)) & 0xff]; };
  const auto m = [&](int l) { return kSignMask[(aux[1] >> (7 * l)) & 127]; };
  const int s = 2 * static_cast<int>(aux[1] >> 28) + 1;
  return {negate_where(words(g(0), g(1), g(2), g(3)), words(m(0), m(1), m(2), m(3))), s, s};
}

Group group(const BlockIQ2_XS& b, int ib) {
  const uint16_t* w = b.qs + 4 * ib;
  return {negate_where(words(kIQ2XSGrid[w[0] & 511], kIQ2XSGrid[w[1] & 511], kIQ2XSGrid[w[2] & 511], kIQ2XSGrid[w[3] & 511]),
                       words(kSignMask[w[0] >> 9], kSignMask[w[1] >> 9], kSignMask[w[2] >> 9], kSignMask[w[3] >> 9])),
          2 * (b.scales[ib] & 0xf) + 1, 2 * (b.scales[ib] >> 4) + 1};
}

Group group(const BlockIQ2_S& b, int ib) {
  const uint8_t* qs = b.qs + 4 * ib;
  const int qh = b.qh[ib];
  const auto g = [&](int l) { return kIQ2SGrid[static_cast<size_t>(qs[l] | ((qh << (8 - 2 * l)) & 0x300))]; };
  uint32_t signs;
  std::memcpy(&signs, b.qs + kQK_K / 8 + 4 * ib, 4);
  const auto m = [&](int l) { return kByteMask[(signs >> (8 * l)) & 0xff]; };
  return {negate_where(words(g(0), g(1), g(2), g(3)), words(m(0), m(1), m(2), m(3))), 2 * (b.scales[ib] & 0xf) + 1,
          2 * (b.scales[ib] >> 4) + 1};
}

Group group(const BlockIQ3_XXS& b, int ib) {
  const uint8_t* qs = b.qs + 8 * ib;
  uint32_t aux;
  std::memcpy(&aux, b.qs + kQK_K / 4 + 4 * ib, 4);
  const auto g = [&](int l) { return kIQ3XXSGrid[qs[2 * l]] | uint64_t{kIQ3XXSGrid[qs[2 * l + 1]]} << 32; };
  const auto m = [&](int l) { return kSignMask[(aux >> (7 * l)) & 127]; };
  const int s = 2 * static_cast<int>(aux >> 28) + 1;
  return {negate_where(words(g(0), g(1), g(2), g(3)), words(m(0), m(1), m(2), m(3))), s, s};
}

Group group(const BlockIQ3_S& b, int ib) {
  const uint8_t* qs = b.qs + 8 * ib;
  const int qh = b.qh[ib];
  const auto g = [&](int l) {
    const int i1 = qs[2 * l] | ((qh << (8 - 2 * l)) & 256), i2 = qs[2 * l + 1] | ((qh << (7 - 2 * l)) & 256);
    return kIQ3SGrid[static_cast<size_t>(i1)] | uint64_t{kIQ3SGrid[static_cast<size_t>(i2)]} << 32;
  };
  uint32_t signs;
  std::memcpy(&signs, b.signs + 4 * ib, 4);
  const auto m = [&](int l) { return kByteMask[(signs >> (8 * l)) & 0xff]; };
  const int s = 2 * ((b.scales[ib / 2] >> (4 * (ib % 2))) & 0xf) + 1;
  return {negate_where(words(g(0), g(1), g(2), g(3)), words(m(0), m(1), m(2), m(3))), s, s};
}

// IQ1: 8 * grid (-1, 0, 1) + delta (+-1 per 8 elements).
__m256i iq1_quants(__m256i grid, __m256i delta) {
  return _mm256_add_epi8(_mm256_sign_epi8(_mm256_set1_epi8(8), grid), delta);
}

uint64_t bytes_of(int v) { return 0x0101010101010101ULL * static_cast<uint8_t>(v); }

Group group(const BlockIQ1_S& b, int ib) {
  const int qh = b.qh[ib];
  const uint8_t* qs = b.qs + 4 * ib;
  const auto g = [&](int l) { return kIQ1SGrid[static_cast<size_t>(qs[l] | (((qh >> (3 * l)) & 7) << 8))]; };
  const int s = 2 * ((qh >> 12) & 7) + 1;
  return {iq1_quants(words(g(0), g(1), g(2), g(3)), _mm256_set1_epi8(qh & 0x8000 ? -1 : 1)), s, s};
}

Group group(const BlockIQ1_M& b, int ib) {
  uint16_t sc;
  std::memcpy(&sc, b.scales + 2 * (ib / 2), 2);
  const uint8_t* qs = b.qs + 4 * ib;
  const auto nib = [&](int l) { return (b.qh[2 * ib + l / 2] >> (4 * (l % 2))) & 0xf; };
  const auto g = [&](int l) { return kIQ1SGrid[static_cast<size_t>(qs[l] | ((nib(l) & 7) << 8))]; };
  const auto delta = [&](int l) { return bytes_of(nib(l) & 8 ? -1 : 1); };
  const int bits = sc >> (6 * (ib % 2));
  return {iq1_quants(words(g(0), g(1), g(2), g(3)), words(delta(0), delta(1), delta(2), delta(3))),
          2 * (bits & 7) + 1, 2 * ((bits >> 3) & 7) + 1};
}

Group group(const BlockTQ2_0& b, int ib) {
  const __m256i q = _mm256_and_si256(_mm256_srli_epi16(load256(b.qs + 32 * (ib / 4)), 2 * (ib % 4)), _mm256_set1_epi8(3));
  return {_mm256_sub_epi8(q, _mm256_set1_epi8(1)), 1, 1};
}

// The group's products with 32 activations, weighted by its half scales, as eight int32 sums.
__m256i weighted(const Group& g, const int8_t* a) {
  const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(g.q, g.q), _mm256_sign_epi8(load256(a), g.q));
  const __m256i sc = _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(g.hi)), _mm_set1_epi16(static_cast<int16_t>(g.lo)));
  return _mm256_madd_epi16(p, sc);
}

template <class Block>
float lattice_dot(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const Block*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    __m256i isum = _mm256_setzero_si256();
    for (int ib = 0; ib < 8; ++ib) isum = _mm256_add_epi32(isum, weighted(group(x[i], ib), y[i].qs + 32 * ib));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(y[i].d * block_scale(x[i])), acc);
  }
  return hsum(acc);
}

}  // namespace

float iq2_xxs_q8_K_avx2(int64_t n, const void* w, const void* a) { return lattice_dot<BlockIQ2_XXS>(n, w, a); }
float iq2_xs_q8_K_avx2(int64_t n, const void* w, const void* a) { return lattice_dot<BlockIQ2_XS>(n, w, a); }
float iq2_s_q8_K_avx2(int64_t n, const void* w, const void* a) { return lattice_dot<BlockIQ2_S>(n, w, a); }
float iq3_xxs_q8_K_avx2(int64_t n, const void* w, const void* a) { return lattice_dot<BlockIQ3_XXS>(n, w, a); }
float iq3_s_q8_K_avx2(int64_t n, const void* w, const void* a) { return lattice_dot<BlockIQ3_S>(n, w, a); }
float iq1_s_q8_K_avx2(int64_t n, const void* w, const void* a) { return lattice_dot<BlockIQ1_S>(n, w, a); }
float iq1_m_q8_K_avx2(int64_t n, const void* w, const void* a) { return lattice_dot<BlockIQ1_M>(n, w, a); }
float tq2_0_q8_K_avx2(int64_t n, const void* w, const void* a) { return lattice_dot<BlockTQ2_0>(n, w, a); }

// TQ1_0's base-3 packing has no cheap byte-wise SIMD form: decode each block, then multiply.
float tq1_0_q8_K_avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockTQ1_0*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  DecodedBlock o;
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    decode(x[i], o);
    __m256i isum = _mm256_setzero_si256();
    for (int ib = 0; ib < 8; ++ib) isum = _mm256_add_epi32(isum, dot_i8(load256(o.q + 32 * ib), load256(y[i].qs + 32 * ib)));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(y[i].d * o.d), acc);
  }
  return hsum(acc);
}

float mxfp4_q8_0_avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockMXFP4*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kMXFP4Values)));
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i) {
    const __m256i q = _mm256_shuffle_epi8(table, unpack_nibbles(x[i].qs));
    const __m256i sum = dot_i8(q, load256(y[i].qs));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(e8m0_half(x[i].e) * h2f(y[i].d)), acc);
  }
  return hsum(acc);
}

}  // namespace airlock::kernels
