// AVX2 dot products for the remaining 32-element formats (Q4_1, Q5_0, Q5_1, IQ4_NL) and BF16.
// On the AVX-512 path these are used as well (no wider kernels for them yet).
#include <immintrin.h>

#include <cstring>

#include "tensor/quant_blocks.h"
#include "tensor/simd_avx2.h"
#include "tensor/vec_dot.h"

namespace airlock::kernels {

using namespace airlock::quant;
using namespace avx2;

namespace {

uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

float bf16_f32_avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const float*>(a);
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    // bf16 is the top half of a float.
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i)));
    acc = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(wide, 16)), _mm256_loadu_ps(y + i), acc);
  }
  float s = hsum(acc);
  for (; i < n; ++i) {
    const uint32_t bits = static_cast<uint32_t>(x[i]) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    s += f * y[i];
  }
  return s;
}

float q4_1_q8_1_avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_1*>(w);
  const auto* y = static_cast<const BlockQ8_1*>(a);
  __m256 acc = _mm256_setzero_ps();
  float offsets = 0;
  for (int64_t i = 0; i < n / kQK; ++i) {
    const __m256i p = dot_u8_i8(unpack_nibbles(x[i].qs), load256(y[i].qs));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(h2f(x[i].d) * h2f(y[i].d)), acc);
    offsets += h2f(x[i].m) * h2f(y[i].s);
  }
  return hsum(acc) + offsets;
}

float q5_0_q8_0_avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  __m256 acc = _mm256_setzero_ps();
  const __m256i sixteen = _mm256_set1_epi8(16);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const __m256i q = _mm256_or_si256(unpack_nibbles(x[i].qs), bits_to_0x10(load_u32(x[i].qh)));
    const __m256i p = dot_i8(_mm256_sub_epi8(q, sixteen), load256(y[i].qs));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(h2f(x[i].d) * h2f(y[i].d)), acc);
  }
  return hsum(acc);
}

float q5_1_q8_1_avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_1*>(w);
  const auto* y = static_cast<const BlockQ8_1*>(a);
  __m256 acc = _mm256_setzero_ps();
  float offsets = 0;
  for (int64_t i = 0; i < n / kQK; ++i) {
    const __m256i q = _mm256_or_si256(unpack_nibbles(x[i].qs), bits_to_0x10(load_u32(x[i].qh)));
    const __m256i p = dot_u8_i8(q, load256(y[i].qs));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(h2f(x[i].d) * h2f(y[i].d)), acc);
    offsets += h2f(x[i].m) * h2f(y[i].s);
  }
  return hsum(acc) + offsets;
}

float iq4_nl_q8_0_avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockIQ4_NL*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  // The codebook in both 128-bit lanes: pshufb maps 4-bit indices to their values.
  const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kIQ4Values)));
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i) {
    const __m256i q = _mm256_shuffle_epi8(table, unpack_nibbles(x[i].qs));
    const __m256i p = dot_i8(q, load256(y[i].qs));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(h2f(x[i].d) * h2f(y[i].d)), acc);
  }
  return hsum(acc);
}

}  // namespace airlock::kernels
