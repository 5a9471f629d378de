#include "model/arch.h"

#include <array>
#include <string>

namespace airlock::model {
namespace {

using R = RopeStyle;
using N = NormKind;
using P = NormPlacement;
using A = Activation;

// Fields left out keep ArchTraits' defaults (off / none).
constexpr std::array kArchs{
    ArchTraits{.name = "llama", .rope = R::Normal, .full_rope = true},
    ArchTraits{.name = "qwen2", .rope = R::NeoX, .qkv_bias = true},
    ArchTraits{.name = "qwen3", .rope = R::NeoX, .qk_norm = true},
    ArchTraits{.name = "phi3", .rope = R::NeoX, .fused_qkv = true, .fused_gate_up = true, .swa_period = 1},
    ArchTraits{.name = "gemma2",
               .rope = R::NeoX,
               .act = A::GeluGated,
               .post_sublayer_norms = true,
               .scale_embeddings = true,
               .swa_period = 2,
               .swa_default_window = 4096,
               .attn_softcap = 50.0f,
               .final_softcap = 30.0f,
               .embd_per_head_scale_layers = 46},
    ArchTraits{.name = "gemma3",
               .rope = R::NeoX,
               .act = A::GeluGated,
               .qk_norm = true,
               .post_sublayer_norms = true,
               .scale_embeddings = true,
               .swa_period = 6,
               .swa_rope_base = 10000,
               .final_softcap = 0.0f,
               .embd_per_head_scale_layers = 62},
    ArchTraits{.name = "bert",
               .norm = N::Layer,
               .placement = P::Post,
               .act = A::Gelu,
               .causal = false,
               .qkv_bias = true,
               .output_biases = true,
               .position_embeddings = true,
               .token_types = true,
               .embd_norm = true},
    ArchTraits{.name = "nomic-bert",
               .rope = R::NeoX,
               .norm = N::Layer,
               .placement = P::Post,
               .causal = false,
               .fused_qkv = true,
               .token_types = true,
               .embd_norm = true},
};

}  // namespace

const ArchTraits* find_arch(std::string_view name) {
  for (const auto& a : kArchs)
    if (a.name == name) return &a;
  return nullptr;
}

std::string_view supported_arch_names() {
  static const std::string names = [] {
    std::string out;
    for (const auto& a : kArchs) {
      if (!out.empty()) out += ", ";
      out += a.name;
    }
    return out;
  }();
  return names;
}

}  // namespace airlock::model
