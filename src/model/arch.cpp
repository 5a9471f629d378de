#include "model/arch.h"

#include <array>

namespace airlock::model {
namespace {

using R = RopeStyle;
using N = NormKind;
using P = NormPlacement;
using A = Activation;

// name, rope, norm, placement, act, causal, qkv_bias, output_biases, qk_norm, fused_qkv,
// fused_gate_up, post_sublayer_norms, scale_embeddings, position_embeddings, token_types,
// embd_norm, sliding_window_period, swa_rope_base
constexpr std::array kArchs{
    ArchTraits{"llama", R::Normal, N::Rms, P::Pre, A::SiluGated, true, false, false, false, false,
               false, false, false, false, false, false, 0, 0},
    ArchTraits{"qwen2", R::NeoX, N::Rms, P::Pre, A::SiluGated, true, true, false, false, false,
               false, false, false, false, false, false, 0, 0},
    ArchTraits{"qwen3", R::NeoX, N::Rms, P::Pre, A::SiluGated, true, false, false, true, false,
               false, false, false, false, false, false, 0, 0},
    ArchTraits{"phi3", R::NeoX, N::Rms, P::Pre, A::SiluGated, true, false, false, false, true,
               true, false, false, false, false, false, 0, 0},
    ArchTraits{"gemma2", R::NeoX, N::Rms, P::Pre, A::GeluGated, true, false, false, false, false,
               false, true, true, false, false, false, 2, 0},
    ArchTraits{"gemma3", R::NeoX, N::Rms, P::Pre, A::GeluGated, true, false, false, true, false,
               false, true, true, false, false, false, 6, 10000},
    ArchTraits{"bert", R::None, N::Layer, P::Post, A::Gelu, false, true, true, false, false,
               false, false, false, true, true, true, 0, 0},
    ArchTraits{"nomic-bert", R::NeoX, N::Layer, P::Post, A::SiluGated, false, false, false, false,
               true, false, false, false, false, true, true, 0, 0},
};

}  // namespace

const ArchTraits* find_arch(std::string_view name) {
  for (const auto& a : kArchs)
    if (a.name == name) return &a;
  return nullptr;
}

std::string_view supported_arch_names() {
  return "llama, qwen2, qwen3, phi3, gemma2, gemma3, bert, nomic-bert";
}

}  // namespace airlock::model
