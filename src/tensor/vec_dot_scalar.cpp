// Scalar reference dot products: integer sums per (sub-)block as the SIMD kernels compute them,
// combined with the block scales in float. These define the results the SIMD paths must match.
#include <cstring>

#include "tensor/fp16.h"
#include "tensor/quant_blocks.h"
#include "tensor/quant_k_scales.h"
#include "tensor/vec_dot.h"

namespace airlock::kernels {

using namespace airlock::quant;

namespace {

float h2f(uint16_t h) { return fp16::half_to_float(h); }

// Sum of products of n int8 pairs.
int dot_i8(const int8_t* x, const int8_t* y, int n) {
  int s = 0;
  for (int i = 0; i < n; ++i) s += x[i] * y[i];
  return s;
}

// The 32 quants of a 4-bit legacy block (element j low nibble, j+16 high nibble), minus offset.
void unpack_nibbles(const uint8_t* qs, int offset, int8_t* q) {
  for (int j = 0; j < 16; ++j) {
    q[j] = static_cast<int8_t>((qs[j] & 0xf) - offset);
    q[j + 16] = static_cast<int8_t>((qs[j] >> 4) - offset);
  }
}

void unpack_q5(const uint8_t* qs, const uint8_t* qh_bytes, int offset, int8_t* q) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);
  for (int j = 0; j < 16; ++j) {
    q[j] = static_cast<int8_t>(((qs[j] & 0xf) | (((qh >> j) & 1) << 4)) - offset);
    q[j + 16] = static_cast<int8_t>(((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - offset);
  }
}

}  // namespace

float f32_f32_scalar(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const float*>(w);
  const auto* y = static_cast<const float*>(a);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * y[i];
  return static_cast<float>(s);
}

float f16_f32_scalar(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const float*>(a);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(h2f(x[i])) * y[i];
  return static_cast<float>(s);
}

float bf16_f32_scalar(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const float*>(a);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(fp16::bf16_to_float(x[i])) * y[i];
  return static_cast<float>(s);
}

float q4_0_q8_0_scalar(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float s = 0;
  int8_t q[kQK];
  for (int64_t i = 0; i < n / kQK; ++i) {
    unpack_nibbles(x[i].qs, 8, q);
    s += h2f(x[i].d) * h2f(y[i].d) * static_cast<float>(dot_i8(q, y[i].qs, kQK));
  }
  return s;
}

float q4_1_q8_1_scalar(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_1*>(w);
  const auto* y = static_cast<const BlockQ8_1*>(a);
  float s = 0;
  int8_t q[kQK];
  for (int64_t i = 0; i < n / kQK; ++i) {
    unpack_nibbles(x[i].qs, 0, q);
    // sum((d*q + m) * a) = d*da*sum(q*qa) + m * (da*sum(qa)), the last factor stored as s.
    s += h2f(x[i].d) * h2f(y[i].d) * static_cast<float>(dot_i8(q, y[i].qs, kQK)) + h2f(x[i].m) * h2f(y[i].s);
  }
  return s;
}

float q5_0_q8_0_scalar(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float s = 0;
  int8_t q[kQK];
  for (int64_t i = 0; i < n / kQK; ++i) {
    unpack_q5(x[i].qs, x[i].qh, 16, q);
    s += h2f(x[i].d) * h2f(y[i].d) * static_cast<float>(dot_i8(q, y[i].qs, kQK));
  }
  return s;
}

float q5_1_q8_1_scalar(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_1*>(w);
  const auto* y = static_cast<const BlockQ8_1*>(a);
  float s = 0;
  int8_t q[kQK];
  for (int64_t i = 0; i < n / kQK; ++i) {
    unpack_q5(x[i].qs, x[i].qh, 0, q);
    s += h2f(x[i].d) * h2f(y[i].d) * static_cast<float>(dot_i8(q, y[i].qs, kQK)) + h2f(x[i].m) * h2f(y[i].s);
  }
  return s;
}

float q8_0_q8_0_scalar(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ8_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float s = 0;
  for (int64_t i = 0; i < n / kQK; ++i)
    s += h2f(x[i].d) * h2f(y[i].d) * static_cast<float>(dot_i8(x[i].qs, y[i].qs, kQK));
  return s;
}

float iq4_nl_q8_0_scalar(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockIQ4_NL*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float s = 0;
  for (int64_t i = 0; i < n / kQK; ++i) {
    int sum = 0;
    for (int j = 0; j < 16; ++j)
      sum += kIQ4Values[x[i].qs[j] & 0xf] * y[i].qs[j] + kIQ4Values[x[i].qs[j] >> 4] * y[i].qs[j + 16];
    s += h2f(x[i].d) * h2f(y[i].d) * static_cast<float>(sum);
  }
  return s;
}

float q2_K_q8_K_scalar(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ2_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float s = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int isum = 0, msum = 0;
    for (int sb = 0; sb < 16; ++sb) {
      int sub = 0;
      for (int e = 16 * sb; e < 16 * sb + 16; ++e)
        sub += ((x[i].qs[(e / 128) * 32 + e % 32] >> (2 * ((e % 128) / 32))) & 3) * y[i].qs[e];
      isum += (x[i].scales[sb] & 0xf) * sub;
      msum += (x[i].scales[sb] >> 4) * y[i].bsums[sb];
    }
    s += y[i].d * (h2f(x[i].d) * static_cast<float>(isum) - h2f(x[i].dmin) * static_cast<float>(msum));
  }
  return s;
}

float q3_K_q8_K_scalar(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ3_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float s = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int isum = 0;
    for (int sb = 0; sb < 16; ++sb) {
      int sub = 0;
      for (int e = 16 * sb; e < 16 * sb + 16; ++e) {
        const int lo = (x[i].qs[(e / 128) * 32 + e % 32] >> (2 * ((e % 128) / 32))) & 3;
        const int hi = (x[i].hmask[e % 32] >> (e / 32)) & 1;
        sub += (lo - (hi ? 0 : 4)) * y[i].qs[e];
      }
      isum += q3_scale(x[i].scales, sb) * sub;
    }
    s += y[i].d * h2f(x[i].d) * static_cast<float>(isum);
  }
  return s;
}

float q4_K_q8_K_scalar(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float s = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int isum = 0, msum = 0;
    for (int j = 0; j < 8; ++j) {
      int sc, m;
      get_scale_min_k4(j, x[i].scales, sc, m);
      const uint8_t* q = x[i].qs + 32 * (j / 2);
      const int shift = 4 * (j % 2);
      int sub = 0;
      for (int l = 0; l < 32; ++l) sub += ((q[l] >> shift) & 0xf) * y[i].qs[32 * j + l];
      isum += sc * sub;
      msum += m * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
    }
    s += y[i].d * (h2f(x[i].d) * static_cast<float>(isum) - h2f(x[i].dmin) * static_cast<float>(msum));
  }
  return s;
}

float q5_K_q8_K_scalar(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float s = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int isum = 0, msum = 0;
    for (int j = 0; j < 8; ++j) {
      int sc, m;
      get_scale_min_k4(j, x[i].scales, sc, m);
      const uint8_t* q = x[i].qs + 32 * (j / 2);
      const int shift = 4 * (j % 2);
      int sub = 0;
      for (int l = 0; l < 32; ++l)
        sub += (((q[l] >> shift) & 0xf) | (((x[i].qh[l] >> j) & 1) << 4)) * y[i].qs[32 * j + l];
      isum += sc * sub;
      msum += m * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
    }
    s += y[i].d * (h2f(x[i].d) * static_cast<float>(isum) - h2f(x[i].dmin) * static_cast<float>(msum));
  }
  return s;
}

float q6_K_q8_K_scalar(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ6_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float s = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int isum = 0;
    for (int sb = 0; sb < 16; ++sb) {
      int sub = 0;
      for (int e = 16 * sb; e < 16 * sb + 16; ++e) {
        const int h = e / 128, quarter = (e % 128) / 32, l = e % 32;
        const int lo = (x[i].ql[64 * h + 32 * (quarter % 2) + l] >> (4 * (quarter / 2))) & 0xf;
        const int hi = (x[i].qh[32 * h + l] >> (2 * quarter)) & 3;
        sub += ((lo | (hi << 4)) - 32) * y[i].qs[e];
      }
      isum += x[i].scales[sb] * sub;
    }
    s += y[i].d * h2f(x[i].d) * static_cast<float>(isum);
  }
  return s;
}

float iq4_xs_q8_K_scalar(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockIQ4_XS*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float s = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int isum = 0;
    for (int ib = 0; ib < 8; ++ib) {
      const uint8_t* qs = x[i].qs + 16 * ib;
      const int8_t* q8 = y[i].qs + 32 * ib;
      int sub = 0;
      for (int j = 0; j < 16; ++j) sub += kIQ4Values[qs[j] & 0xf] * q8[j] + kIQ4Values[qs[j] >> 4] * q8[j + 16];
      isum += iq4_xs_scale(x[i].scales_l, x[i].scales_h, ib) * sub;
    }
    s += y[i].d * h2f(x[i].d) * static_cast<float>(isum);
  }
  return s;
}

}  // namespace airlock::kernels
