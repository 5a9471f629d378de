// Which tensor type each weight gets in a llama.cpp file type ("Q4_K_M", "Q8_0", ...): the one
// place that knows llama.cpp's quantizer rules (src/llama-quant.cpp, llama_tensor_get_type), used
// by `airlock synth` to lay out synthetic models and by `airlock create --quantize` to rewrite real
// ones, so both produce the type mix llama.cpp's own quantizer would.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tensor/type_traits.h"

namespace airlock {

// A llama.cpp file type: its name, its general.file_type id and the default tensor type.
struct FileType {
  std::string name;
  uint32_t ftype_id;
  TensorType default_type;
};
const std::vector<FileType>& file_types();
// Case-insensitive; throws airlock::Error naming the unknown type and listing the known ones.
const FileType& find_file_type(std::string_view name);

// The tensor type llama.cpp's quantizer picks for one tensor (the dense-model rules for the types
// in file_types()), including its fallbacks for rows not divisible by the block. i_layer/n_layer
// locate a per-layer tensor among the tensors of its kind; has_output: the model has its own
// output.weight (otherwise token_embd.weight is treated as the output); n_gqa: query heads per kv
// head; has_imatrix: an importance matrix is given (llama.cpp then keeps some layers it would
// otherwise give more bits at their file type's type, and guards others). 1-D tensors get F32.
TensorType choose_type(const FileType& ft, const std::string& name, const std::array<int64_t, 4>& ne,
                       uint32_t n_dims, int64_t i_layer, int64_t n_layer, bool has_output, int64_t n_gqa,
                       bool has_imatrix = false);

// Whether llama.cpp's quantizer converts this tensor at all: matrices only, and not norms,
// BERT's position/token-type embeddings or the other small tensors it leaves as they are.
bool is_quantizable(const std::string& name, uint32_t n_dims);

// Whether llama-quantize refuses to write this tensor as `t` in `ft` without an importance-matrix
// entry for it: the types with no plain quantizer (IQ2_XXS, IQ2_XS, IQ2_S, IQ1_S, IQ1_M) anywhere, and Q2_K in
// Q2_K_S except token_embd.
bool needs_importances(const FileType& ft, const std::string& name, TensorType t);

struct TensorShape {
  std::string name;
  std::array<int64_t, 4> ne{1, 1, 1, 1};
  uint32_t n_dims = 0;
  TensorType type = TensorType::F32;  // as stored now
};

// The type of every tensor (same order) when a whole model is quantised to `ft`: tensors that
// are not quantizable keep their type; layers are counted per kind (attn_v, ffn_down, ...) as
// llama.cpp counts them. n_gqa: query heads per kv head (1 when unknown).
std::vector<TensorType> plan_types(const FileType& ft, const std::vector<TensorShape>& tensors, int64_t n_gqa,
                                   bool has_imatrix = false);

}  // namespace airlock
