// The element-wise and per-row operations of the transformer block (everything but the matrix
// products, which belong to tensor/matmul.h).
#pragma once
#include <cstdint>

#include "model/arch.h"

namespace airlock::model {

// out = x / sqrt(mean(x^2) + eps) * w   (w may be null: no scale). out may alias x.
void rms_norm(const float* x, const float* w, float* out, int64_t n, float eps);
// out = (x - mean) / sqrt(var + eps) * w + b   (w, b may be null). out may alias x.
void layer_norm(const float* x, const float* w, const float* b, float* out, int64_t n, float eps);

// The rotation angles of one position: cos_sin[2i], cos_sin[2i+1] = cos, sin of
// (pos / scale) * base^(-2i/n_rot) / freq_factors[i], for i < n_rot/2 (freq_factors may be null).
void rope_angles(int64_t pos, int64_t n_rot, float base, float scale, const float* freq_factors,
                 float* cos_sin);
// Rotates the first n_rot dimensions of each of n_heads heads (head_dim apart) in place.
void rope_apply(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, const float* cos_sin,
                RopeStyle style);

// The tanh approximation, as GELU-using checkpoints (BERT in GGML, Gemma) are run by the reference.
float gelu(float x);

}  // namespace airlock::model
