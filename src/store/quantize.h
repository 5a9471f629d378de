// `create --quantize`: rewrites an F32/F16/BF16 GGUF in a llama.cpp file type ("Q4_K_M", "Q8_0", ...),
// tensor by tensor in row batches (constant memory), using the type table's to_float/from_float.
// Each tensor gets the type llama.cpp's quantizer would give it (tensor/quant_plan.h: Q6_K for the
// output and some attn_v/ffn_down layers of Q4_K_M, fallbacks for rows no block divides); norms,
// biases and the other tensors llama.cpp leaves alone keep their type.
#pragma once
#include <filesystem>
#include <string_view>

namespace airlock::store {

// Throws airlock::Error for an unknown or unsupported type name, or a source whose weights are
// already quantised.
void quantize_gguf(const std::filesystem::path& src, const std::filesystem::path& dst, std::string_view file_type);

}  // namespace airlock::store
