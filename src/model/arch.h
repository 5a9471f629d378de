// The architecture table: one row per supported `general.architecture`, saying which pieces of
// the shared transformer block that architecture uses and which per-architecture rules turn its
// metadata into effective hyper-parameters (defaults for missing keys, size-specific constants).
// The forward pass and the hparams reader consult these fields; neither compares architecture
// names. docs/ARCHITECTURES.md lists the rules as a table.
#pragma once
#include <cstdint>
#include <optional>
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
  RopeStyle rope = RopeStyle::None;
  NormKind norm = NormKind::Rms;
  NormPlacement placement = NormPlacement::Pre;
  Activation act = Activation::SiluGated;
  bool causal = true;                // false: encoder, every token sees the whole sequence
  bool qkv_bias = false;             // attn_q/k/v.bias required
  bool output_biases = false;        // attn_output.bias and ffn_*.bias required (BERT)
  bool qk_norm = false;              // per-head RMS norm of q and k before rope (Qwen3, Gemma3)
  bool fused_qkv = false;            // one attn_qkv.weight instead of q/k/v
  bool fused_gate_up = false;        // ffn_up.weight holds gate then up (Phi-3)
  bool post_sublayer_norms = false;  // attn_post_norm / ffn_post_norm after each sublayer (Gemma 2/3)
  bool scale_embeddings = false;     // token embeddings multiplied by sqrt(n_embd) (Gemma)
  bool position_embeddings = false;  // learned position_embd.weight added to the input
  bool token_types = false;          // token_types.weight row 0 added to the input (BERT)
  bool embd_norm = false;            // token_embd_norm after the input embeddings (BERT)
  // Rope must cover the whole head (Llama): a smaller rope.dimension_count is refused, as the
  // reference loader does, rather than run as partial rope.
  bool full_rope = false;

  // Sliding-window attention. swa_period 0: no windowed layers; 1: every layer (Phi-3); n > 1:
  // layers with il % n < n - 1, the last of every n attending globally (Gemma 2: 2, Gemma 3: 6).
  int swa_period = 0;
  // The window when the file has no attention.sliding_window (Gemma 2: 4096, the released
  // models' value, which early conversions did not write); 0: no window.
  int64_t swa_default_window = 0;
  // > 0: windowed layers use this rope base, unscaled (Gemma 3's local layers: 10000); 0: they
  // use the global base and scaling like every other layer.
  float swa_rope_base = 0;

  // Soft-caps of attention scores and final logits: nullopt, the architecture has none (the key
  // is ignored); otherwise the cap used when the file lacks attn_logit_softcapping /
  // final_logit_softcapping (0: off).
  std::optional<float> attn_softcap = std::nullopt;
  std::optional<float> final_softcap = std::nullopt;

  // The model size, by block_count, whose queries are scaled by 1/sqrt(n_embd / n_head) instead
  // of 1/sqrt(head_dim): the original checkpoint's query_pre_attn_scalar, which converted files
  // do not carry (Gemma 2 27B: 46 layers, Gemma 3 27B: 62). 0: no such size.
  int64_t embd_per_head_scale_layers = 0;
};

// The row for an architecture name, or nullptr if airlock does not run it.
const ArchTraits* find_arch(std::string_view name);
// Comma-separated names of all supported architectures, for error messages.
std::string_view supported_arch_names();

}  // namespace airlock::model
