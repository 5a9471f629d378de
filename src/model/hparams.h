// Hyper-parameters of a model, read from `<arch>.*` metadata and checked for consistency before
// any tensor is touched, so a hostile file fails with a clear error rather than a bad allocation.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "model/arch.h"

namespace airlock::model {

enum class Pooling { None = 0, Mean = 1, Cls = 2, Last = 3 };

enum class RopeScaling {
  None,
  Linear,  // positions divided by rope_scale
  Llama3,  // per-frequency divisors from rope.scaling.* (when the file has no rope_freqs.weight)
};

// Llama 3.1's frequency-dependent rope scaling parameters.
struct Llama3Scaling {
  float factor = 8.0f;
  float low_freq_factor = 1.0f;
  float high_freq_factor = 4.0f;
  float original_context = 8192.0f;
};

struct Hparams {
  const ArchTraits* arch = nullptr;
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_ff = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim_k = 0;   // per-head size of q and k (attention.key_length, else n_embd/n_head)
  int64_t head_dim_v = 0;   // per-head size of v
  int64_t n_rot = 0;        // leading dimensions of each head that rope rotates
  float norm_eps = 1e-5f;
  float rope_base = 10000.0f;
  float rope_base_swa = 10000.0f;  // sliding-window layers' base (Gemma 3: its own)
  RopeScaling rope_scaling = RopeScaling::None;
  float rope_scale = 1.0f;         // positions are divided by this (linear scaling)
  float rope_scale_swa = 1.0f;     // the same for sliding-window layers (Gemma 3: unscaled)
  Llama3Scaling llama3;
  float attn_scale = 0.0f;         // applied to q.k; always set by read_hparams
  std::string attn_scale_rule;     // where attn_scale came from, for `airlock inspect`
  float attn_softcap = 0.0f;       // 0: off (Gemma 2)
  float final_softcap = 0.0f;      // 0: off (Gemma 2)
  int64_t sliding_window = 0;      // 0: every layer attends globally
  Pooling pooling = Pooling::None;

  int64_t n_embd_k() const { return head_dim_k * n_head_kv; }  // one position's K row
  int64_t n_embd_v() const { return head_dim_v * n_head_kv; }
  int64_t n_embd_q() const { return head_dim_k * n_head; }
  int64_t n_gqa() const { return n_head / n_head_kv; }
  // Layer il attends within sliding_window tokens (the architecture's window pattern).
  bool is_swa_layer(int64_t il) const;
  float rope_base_of(int64_t il) const { return is_swa_layer(il) ? rope_base_swa : rope_base; }
  float rope_scale_of(int64_t il) const { return is_swa_layer(il) ? rope_scale_swa : rope_scale; }
};

// The n_rot/2 divisors of the rope frequencies that Llama 3 scaling applies: 1 for short
// wavelengths, `factor` for long ones, a smooth blend between.
std::vector<float> llama3_rope_factors(const Hparams& hp);

// Reads and validates. Throws airlock::Error naming the file and the key for a missing or
// inconsistent value, and for an architecture airlock does not run.
Hparams read_hparams(const gguf::File& file);

}  // namespace airlock::model
