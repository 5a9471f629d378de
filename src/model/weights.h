// The tensors of one model, found by their GGUF names and checked against the hyper-parameters.
// Matrices stay in the memory mapping (WeightView points into it); only the small 1-D vectors
// (norm weights, biases) are converted to float once at load.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "gguf/gguf.h"
#include "model/hparams.h"
#include "tensor/matmul.h"

namespace airlock::model {

// A 1-D float vector; empty when the model does not have that tensor.
using Vec = std::vector<float>;

struct LayerWeights {
  // Pre-norm models: the norms before attention and FFN. Post-norm (BERT): after each residual.
  Vec attn_norm, attn_norm_b;
  Vec ffn_norm, ffn_norm_b;
  Vec attn_post_norm, ffn_post_norm;  // Gemma's extra norms after each sublayer
  Vec q_norm, k_norm;                 // per-head RMS norms (head_dim_k each)
  // A fused attn_qkv / ffn_up(gate+up) tensor is split into these views of its row ranges.
  WeightView wq, wk, wv, wo;
  Vec bq, bk, bv, bo;
  WeightView ffn_gate, ffn_up, ffn_down;  // ffn_gate.data == nullptr when there is no gate
  Vec ffn_up_b, ffn_down_b;
};

struct Weights {
  WeightView token_embd;       // n_vocab rows of n_embd
  WeightView position_embd;    // learned absolute positions (BERT), else data == nullptr
  Vec token_type0;             // row 0 of token_types.weight (BERT), else empty
  Vec embd_norm, embd_norm_b;  // after the input embeddings (BERT)
  std::vector<LayerWeights> layers;
  Vec output_norm, output_norm_b;  // decoders only
  WeightView output;               // decoders only; token_embd when the output is tied
  Vec rope_freq_factors;           // rope_freqs.weight (Llama 3), n_rot/2 divisors, or empty
  // Owns the packed copies the matrix views point to (repack.h); null when none was made. The
  // output matrix gets one even when tied; token_embd never does (its rows are looked up).
  std::shared_ptr<const void> packed;
};

// Finds and checks every tensor the architecture needs. Throws airlock::Error naming the file and
// tensor when one is missing, has the wrong shape, or has a type airlock cannot compute with.
// Packs the matrices for the active CPU path's tile kernels unless AIRLOCK_REPACK=0.
Weights load_weights(const gguf::File& file, const Hparams& hp);

// Converts row `row` of a matrix (any type the type table can convert) to `cols` floats.
void row_to_float(const WeightView& w, int64_t row, float* out);

}  // namespace airlock::model
