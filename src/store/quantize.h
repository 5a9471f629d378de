// `create --quantize`: rewrites an F32/F16/BF16 GGUF with its weight matrices in a quantised type,
// tensor by tensor in row batches (constant memory), using the type table's to_float/from_float.
// Mixes are simplified: the _S/_M/_L variants of a K-quant use its base type for every matrix and
// Q6_K for the output matrix (the token embedding when the output is tied); a matrix whose rows do
// not split into 256-blocks falls back to Q8_0, and one that does not split into 32-blocks stays
// as it is. Norms, biases and other 1-D tensors stay in their float type.
#pragma once
#include <filesystem>
#include <string_view>

namespace airlock::store {

// Throws airlock::Error for an unknown or unsupported type name, or a source whose weights are
// already quantised.
void quantize_gguf(const std::filesystem::path& src, const std::filesystem::path& dst, std::string_view file_type);

}  // namespace airlock::store
