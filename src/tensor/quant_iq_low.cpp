// Dequantisation of the lattice i-quants (IQ1_S ... IQ3_S), the ternary types and MXFP4. airlock
// reads these formats but does not write them: the sub-4-bit i-quants need an importance matrix
// to be worth making.
#include "tensor/quant_formats.h"
#include "tensor/quant_iq_decode.h"

namespace airlock::quant {

namespace {

template <class Block>
void dequantize_decoded(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const Block*>(src);
  DecodedBlock o;
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    decode(b[i], o);
    for (int e = 0; e < kQK_K; ++e) dst[e] = o.d * o.scale[e / 16] * o.q[e];
  }
}

}  // namespace

void dequantize_iq2_xxs(const void* src, float* dst, int64_t n) { dequantize_decoded<BlockIQ2_XXS>(src, dst, n); }
void dequantize_iq2_xs(const void* src, float* dst, int64_t n) { dequantize_decoded<BlockIQ2_XS>(src, dst, n); }
void dequantize_iq2_s(const void* src, float* dst, int64_t n) { dequantize_decoded<BlockIQ2_S>(src, dst, n); }
void dequantize_iq3_xxs(const void* src, float* dst, int64_t n) { dequantize_decoded<BlockIQ3_XXS>(src, dst, n); }
void dequantize_iq3_s(const void* src, float* dst, int64_t n) { dequantize_decoded<BlockIQ3_S>(src, dst, n); }
void dequantize_iq1_s(const void* src, float* dst, int64_t n) { dequantize_decoded<BlockIQ1_S>(src, dst, n); }
void dequantize_iq1_m(const void* src, float* dst, int64_t n) { dequantize_decoded<BlockIQ1_M>(src, dst, n); }
void dequantize_tq1_0(const void* src, float* dst, int64_t n) { dequantize_decoded<BlockTQ1_0>(src, dst, n); }
void dequantize_tq2_0(const void* src, float* dst, int64_t n) { dequantize_decoded<BlockTQ2_0>(src, dst, n); }

void dequantize_mxfp4(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockMXFP4*>(src);
  for (int64_t i = 0; i < n / kQK; ++i, dst += kQK) {
    const float d = e8m0_half(b[i].e);
    for (int j = 0; j < kQK / 2; ++j) {
      dst[j] = kMXFP4Values[b[i].qs[j] & 0xf] * d;
      dst[j + kQK / 2] = kMXFP4Values[b[i].qs[j] >> 4] * d;
    }
  }
}

}  // namespace airlock::quant
