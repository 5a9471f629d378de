// The architecture table: one row per supported `general.architecture`, saying which pieces of
// the shared transformer block that architecture uses. The forward pass reads these flags; it
// never compares architecture names.
#pragma once
#include <string_view>

namespace airlock::model {

enum class RopeStyle {
  None,    // no rotary embedding (learned absolute positions instead)
  Normal,  // rotates adjacent pairs (x[2i], x[2i+1]): Llama, Mistral
  NeoX,    // rotates halves (x[i], x[i + n_rot/2]): Qwen, Phi-3, Gemma, nomic-bert
};

enum class NormKind { Rms, Layer };  // LayerNorm subtracts the mean and has a bias

enum class Activation {
  SiluGated,  // down(silu(gate(x)) * up(x))
  GeluGated,  // down(gelu(gate(x)) * up(x))
  Gelu,       // down(gelu(up(x))), no gate
};

enum class NormPlacement {
  Pre,   // x += f(norm(x)): decoder LLMs
  Post,  // x = norm(x + f(x)): BERT encoders
};

struct ArchTraits {
  std::string_view name;       // as in general.architecture; also the metadata key prefix
  RopeStyle rope;
  NormKind norm;
  NormPlacement placement;
  Activation act;
  bool causal;                 // false: encoder, every token sees the whole sequence
  bool qkv_bias;               // attn_q/k/v.bias required
  bool output_biases;          // attn_output.bias and ffn_*.bias required (BERT)
  bool qk_norm;                // per-head RMS norm of q and k before rope (Qwen3, Gemma3)
  bool fused_qkv;              // one attn_qkv.weight instead of q/k/v
  bool fused_gate_up;          // ffn_up.weight holds gate then up (Phi-3)
  bool post_sublayer_norms;    // attn_post_norm / ffn_post_norm after each sublayer (Gemma 2/3)
  bool scale_embeddings;       // token embeddings multiplied by sqrt(n_embd) (Gemma)
  bool position_embeddings;    // learned position_embd.weight added to the input
  bool token_types;            // token_types.weight row 0 added to the input (BERT)
  bool embd_norm;              // token_embd_norm after the input embeddings (BERT)
  // Layers with il % period < period - 1 attend within `attention.sliding_window` tokens, the
  // rest globally (Gemma 2: 2, alternating; Gemma 3: 6). 0: no sliding-window layers.
  int sliding_window_period;
  float swa_rope_base;         // rope base of sliding-window layers (Gemma 3: 10000); 0: the global one
};

// The row for an architecture name, or nullptr if airlock does not run it.
const ArchTraits* find_arch(std::string_view name);
// Comma-separated names of all supported architectures, for error messages.
std::string_view supported_arch_names();

}  // namespace airlock::model
