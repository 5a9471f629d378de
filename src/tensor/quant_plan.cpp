#include "tensor/quant_plan.h"

#include <airlock/error.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

namespace airlock {

const std::vector<FileType>& file_types() {
  // general.file_type ids are llama.cpp's llama_ftype values.
  static const std::vector<FileType> t = {
      {"F32", 0, TensorType::F32},      {"F16", 1, TensorType::F16},
      {"BF16", 32, TensorType::BF16},   {"Q8_0", 7, TensorType::Q8_0},
      {"Q4_0", 2, TensorType::Q4_0},    {"Q4_1", 3, TensorType::Q4_1},
      {"Q5_0", 8, TensorType::Q5_0},    {"Q5_1", 9, TensorType::Q5_1},
      {"Q2_K", 10, TensorType::Q2_K},   {"Q2_K_S", 21, TensorType::Q2_K},
      {"Q3_K_S", 11, TensorType::Q3_K},
      {"Q3_K_M", 12, TensorType::Q3_K}, {"Q3_K_L", 13, TensorType::Q3_K},
      {"Q4_K_S", 14, TensorType::Q4_K}, {"Q4_K_M", 15, TensorType::Q4_K},
      {"Q5_K_S", 16, TensorType::Q5_K}, {"Q5_K_M", 17, TensorType::Q5_K},
      {"Q6_K", 18, TensorType::Q6_K},   {"IQ4_NL", 25, TensorType::IQ4_NL},
      {"IQ4_XS", 30, TensorType::IQ4_XS},
      {"IQ3_XS", 22, TensorType::IQ3_S},  {"IQ3_S", 26, TensorType::IQ3_S},
      {"IQ3_M", 27, TensorType::IQ3_S},  {"IQ2_XXS", 19, TensorType::IQ2_XXS},
      {"IQ2_XS", 20, TensorType::IQ2_XS},  {"IQ2_S", 28, TensorType::IQ2_XS},
      {"IQ2_M", 29, TensorType::IQ2_S},   {"IQ3_XXS", 23, TensorType::IQ3_XXS},
      {"IQ1_S", 24, TensorType::IQ1_S},   {"IQ1_M", 31, TensorType::IQ1_M},
  };
  return t;
}

const FileType& find_file_type(std::string_view name) {
  std::string known;
  for (const auto& t : file_types()) {
    if (t.name.size() == name.size() &&
        std::equal(name.begin(), name.end(), t.name.begin(),
                   [](char a, char b) { return std::toupper(a) == std::toupper(b); }))
      return t;
    known += (known.empty() ? "" : ", ") + t.name;
  }
  throw Error("unknown file type '" + std::string(name) + "' (known: " + known + ")");
}

namespace {

bool use_more_bits(int64_t i, int64_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// k-quant rows must hold whole 256-element super-blocks; llama.cpp falls back to a 32-block type.
// For rows that not even 32-blocks divide llama.cpp uses F16 after a k-quant and gives up after
// any other type; we use F16 for both, since small test shapes meet this often.
TensorType fallback_for(TensorType t) {
  switch (t) {
    case TensorType::Q2_K:
    case TensorType::Q3_K:
    case TensorType::IQ3_XXS:
    case TensorType::IQ3_S:
    case TensorType::IQ2_XXS:
    case TensorType::IQ2_XS:
    case TensorType::IQ2_S:
    case TensorType::IQ1_S:
    case TensorType::IQ1_M: return TensorType::IQ4_NL;
    case TensorType::Q4_K: return TensorType::Q5_0;
    case TensorType::Q5_K: return TensorType::Q5_1;
    case TensorType::Q6_K: return TensorType::Q8_0;
    case TensorType::IQ4_XS: return TensorType::IQ4_NL;
    default: return TensorType::F16;
  }
}

// The layer number of "blk.N.xxx", or -1.
int64_t layer_of(const std::string& name) {
  long long n = -1;
  int used = 0;
  if (name.rfind("blk.", 0) != 0 || std::sscanf(name.c_str(), "blk.%lld.%n", &n, &used) != 1 || used == 0) return -1;
  return n;
}

// The kinds whose rules depend on the layer; llama.cpp counts each kind's tensors separately.
const char* layer_kind(const std::string& name) {
  if (contains(name, "attn_v.weight") || contains(name, "attn_qkv.weight")) return "attn_v";
  if (contains(name, "ffn_down")) return "ffn_down";
  if (contains(name, "ffn_gate")) return "ffn_gate";
  if (contains(name, "ffn_up")) return "ffn_up";
  return nullptr;
}

}  // namespace

TensorType choose_type(const FileType& ft, const std::string& name, const std::array<int64_t, 4>& ne,
                       uint32_t n_dims, int64_t i_layer, int64_t n_layer, bool has_output, int64_t n_gqa,
                       bool has_imatrix) {
  // 1-D tensors (norms, biases, rope factors) stay F32 in every llama.cpp file type.
  if (n_dims < 2) return TensorType::F32;
  TensorType t = ft.default_type;
  if (!type_traits(t).quantized) return t;
  const std::string& f = ft.name;
  const bool is_iq4 = f == "IQ4_NL" || f == "IQ4_XS";
  const bool is_iq2 = f == "IQ2_XXS" || f == "IQ2_XS" || f == "IQ2_S" || f == "IQ2_M" || f == "IQ1_S" ||
                      f == "IQ1_M";
  // IQ2_S and IQ2_M (mostly IQ2_XS / IQ2_S tensors) fall back on IQ3_S where the others use Q2_K.
  const bool is_iq2_s = f == "IQ2_S" || f == "IQ2_M";
  const TensorType iq2_more_bits = is_iq2_s ? TensorType::IQ3_S : TensorType::Q2_K;
  const bool is_output = name == "output.weight" || (!has_output && name == "token_embd.weight");
  if (is_output) {
    if (ne[0] % type_traits(t).block_size != 0) t = TensorType::Q8_0;
    else if (is_iq2 || f == "IQ3_XXS") t = TensorType::Q5_K;
    else if (t != TensorType::Q8_0) t = TensorType::Q6_K;
  } else if (name == "token_embd.weight") {
    if (is_iq2) t = iq2_more_bits;
    else if (f == "IQ3_XXS") t = TensorType::IQ3_S;
  } else if (is_iq2) {
    // The 2-bit types keep more bits where errors hurt most.
    if (contains(name, "attn_v.weight")) t = n_gqa >= 4 ? TensorType::Q4_K : iq2_more_bits;
    else if (contains(name, "ffn_down") && i_layer < n_layer / 8) t = iq2_more_bits;
    else if (contains(name, "attn_output.weight") && is_iq2_s) t = TensorType::IQ3_S;
    else if (contains(name, "attn_output.weight") && (f == "IQ1_S" || f == "IQ1_M")) t = TensorType::IQ2_XXS;
  } else if (contains(name, "attn_v.weight")) {
    if (f == "Q2_K") t = n_gqa >= 4 ? TensorType::Q4_K : TensorType::Q3_K;
    else if (f == "Q2_K_S" && n_gqa >= 4) t = TensorType::Q4_K;
    else if (f == "IQ3_XXS") t = n_gqa >= 4 ? TensorType::Q4_K : has_imatrix ? TensorType::IQ3_XXS : TensorType::IQ3_S;
    else if (f == "Q3_K_M") t = i_layer < 2 ? TensorType::Q5_K : TensorType::Q4_K;
    else if (f == "Q3_K_L") t = TensorType::Q5_K;
    else if (is_iq4 && n_gqa >= 4) t = TensorType::Q5_K;
    else if ((f == "IQ3_XS" || f == "IQ3_S") && n_gqa >= 4) t = TensorType::Q4_K;
    else if (f == "IQ3_M") t = TensorType::Q4_K;
    else if ((f == "Q4_K_M" || f == "Q5_K_M") && use_more_bits(i_layer, n_layer)) t = TensorType::Q6_K;
    else if (f == "Q4_K_S" && i_layer < 4) t = TensorType::Q5_K;
  } else if (contains(name, "ffn_down")) {
    if (f == "Q2_K") t = TensorType::Q3_K;
    else if (f == "Q2_K_S" && i_layer < n_layer / 8) t = TensorType::Q4_K;
    else if (f == "IQ3_XXS" && !has_imatrix) t = i_layer < n_layer / 8 ? TensorType::Q4_K : TensorType::Q3_K;
    else if (f == "Q3_K_M") t = i_layer < n_layer / 16 ? TensorType::Q5_K : TensorType::Q4_K;
    else if (f == "IQ3_M" && i_layer < n_layer / 8) t = TensorType::Q4_K;
    else if (f == "Q3_K_L") t = TensorType::Q5_K;
    else if (is_iq4 && i_layer < n_layer / 8 && !has_imatrix) t = TensorType::Q5_K;
    else if ((f == "Q4_K_M" || f == "Q5_K_M") && use_more_bits(i_layer, n_layer)) t = TensorType::Q6_K;
    else if (f == "Q4_K_S" && i_layer < n_layer / 8) t = TensorType::Q5_K;
    // llama.cpp's guard for the first ffn_down layers, which go wrong at 4/5 bits even with an
    // importance matrix; only then, so that a file made without one stays as it always was.
    else if ((f == "Q4_0" || f == "Q5_0") && has_imatrix && i_layer < n_layer / 8)
      t = f == "Q4_0" ? TensorType::Q4_1 : TensorType::Q5_1;
  } else if (contains(name, "attn_output.weight")) {
    if (f == "Q2_K") t = TensorType::Q3_K;
    else if (f == "IQ3_XXS") t = TensorType::IQ3_S;
    else if (f == "Q3_K_M") t = TensorType::Q4_K;
    else if (f == "Q3_K_L") t = TensorType::Q5_K;
    else if (f == "IQ3_M") t = TensorType::Q4_K;
  } else if (contains(name, "attn_qkv.weight")) {
    if (f == "Q3_K_M" || f == "Q3_K_L" || f == "IQ3_M") t = TensorType::Q4_K;
    else if (f == "Q4_K_M") t = TensorType::Q5_K;
    else if (f == "Q5_K_M") t = TensorType::Q6_K;
  } else if (contains(name, "attn_k.weight") || contains(name, "attn_q.weight")) {
    if (f == "IQ3_XS") t = TensorType::IQ3_XXS;
    else if (f == "IQ3_XXS") t = TensorType::IQ2_S;
  } else if (contains(name, "ffn_gate") || contains(name, "ffn_up")) {
    if (f == "IQ3_XS" && i_layer >= n_layer / 8 && i_layer < 7 * n_layer / 8) t = TensorType::IQ3_XXS;
  }
  if (ne[0] % type_traits(t).block_size != 0) {
    t = fallback_for(t);
    if (ne[0] % type_traits(t).block_size != 0) t = TensorType::F16;
  }
  return t;
}

bool needs_importances(const FileType& ft, const std::string& name, TensorType t) {
  if (!type_traits(t).from_float) return true;
  return ft.name == "Q2_K_S" && t == TensorType::Q2_K && name != "token_embd.weight";
}

bool is_quantizable(const std::string& name, uint32_t n_dims) {
  if (n_dims < 2) return false;
  if (name.size() < 6 || name.compare(name.size() - 6, 6, "weight") != 0) return false;
  for (const char* skip : {"_norm.weight", "ffn_gate_inp.weight", "ssm_conv1d.weight", "ssm_x.weight",
                           "ssm_dt.weight", "attn_rel_b.weight"})
    if (contains(name, skip)) return false;
  return name != "position_embd.weight" && name != "token_types.weight";
}

std::vector<TensorType> plan_types(const FileType& ft, const std::vector<TensorShape>& tensors, int64_t n_gqa,
                                   bool has_imatrix) {
  bool has_output = false;
  std::map<std::string, int64_t> n_of_kind;
  for (const auto& t : tensors) {
    has_output |= t.name == "output.weight";
    if (!is_quantizable(t.name, t.n_dims)) continue;  // e.g. ffn_down.bias is not an ffn_down layer
    if (const char* kind = layer_kind(t.name)) ++n_of_kind[kind];
  }
  std::vector<TensorType> out;
  out.reserve(tensors.size());
  for (const auto& t : tensors) {
    if (!is_quantizable(t.name, t.n_dims)) {
      out.push_back(t.type);
      continue;
    }
    const char* kind = layer_kind(t.name);
    const int64_t n_layer = kind ? n_of_kind[kind] : 0;
    out.push_back(choose_type(ft, t.name, t.ne, t.n_dims, layer_of(t.name), n_layer, has_output, n_gqa, has_imatrix));
  }
  return out;
}

}  // namespace airlock
