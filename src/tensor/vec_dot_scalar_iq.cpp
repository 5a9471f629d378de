// Scalar reference dot products of the lattice i-quants and the ternary types with Q8_K
// activations, and of MXFP4 with Q8_0: integer sums per 16 elements weighted by the integer
// scales of quant_iq_decode.h, then the float factors. The SIMD kernels must match these.
#include "tensor/quant_iq_decode.h"
#include "tensor/vec_dot.h"

namespace airlock::kernels {

using namespace airlock::quant;

namespace {

template <class Block>
float decoded_dot(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const Block*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  DecodedBlock o;
  float s = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    decode(x[i], o);
    int isum = 0;
    for (int sb = 0; sb < kQK_K / 16; ++sb) {
      int sub = 0;
      for (int e = 16 * sb; e < 16 * sb + 16; ++e) sub += o.q[e] * y[i].qs[e];
      isum += o.scale[sb] * sub;
    }
    s += y[i].d * o.d * static_cast<float>(isum);
  }
  return s;
}

}  // namespace

float iq2_xxs_q8_K_scalar(int64_t n, const void* w, const void* a) { return decoded_dot<BlockIQ2_XXS>(n, w, a); }
float iq2_xs_q8_K_scalar(int64_t n, const void* w, const void* a) { return decoded_dot<BlockIQ2_XS>(n, w, a); }
float iq2_s_q8_K_scalar(int64_t n, const void* w, const void* a) { return decoded_dot<BlockIQ2_S>(n, w, a); }
float iq3_xxs_q8_K_scalar(int64_t n, const void* w, const void* a) { return decoded_dot<BlockIQ3_XXS>(n, w, a); }
float iq3_s_q8_K_scalar(int64_t n, const void* w, const void* a) { return decoded_dot<BlockIQ3_S>(n, w, a); }
float iq1_s_q8_K_scalar(int64_t n, const void* w, const void* a) { return decoded_dot<BlockIQ1_S>(n, w, a); }
float iq1_m_q8_K_scalar(int64_t n, const void* w, const void* a) { return decoded_dot<BlockIQ1_M>(n, w, a); }
float tq1_0_q8_K_scalar(int64_t n, const void* w, const void* a) { return decoded_dot<BlockTQ1_0>(n, w, a); }
float tq2_0_q8_K_scalar(int64_t n, const void* w, const void* a) { return decoded_dot<BlockTQ2_0>(n, w, a); }

float mxfp4_q8_0_scalar(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockMXFP4*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float s = 0;
  for (int64_t i = 0; i < n / kQK; ++i) {
    int sum = 0;
    for (int j = 0; j < kQK / 2; ++j)
      sum += kMXFP4Values[x[i].qs[j] & 0xf] * y[i].qs[j] + kMXFP4Values[x[i].qs[j] >> 4] * y[i].qs[j + kQK / 2];
    s += e8m0_half(x[i].e) * fp16::half_to_float(y[i].d) * static_cast<float>(sum);
  }
  return s;
}

}  // namespace airlock::kernels
