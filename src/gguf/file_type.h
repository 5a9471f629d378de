// general.file_type: llama.cpp's llama_ftype, the quantisation a model was converted with as a
// whole ("Q4_K_M" mixes q4_K and q6_K tensors, so it cannot be read off the tensor types).
#pragma once
#include <cstdint>
#include <string>

namespace airlock::gguf {

// The name llama.cpp's quantizer uses for a file type, e.g. 15 -> "Q4_K_M", 0 -> "F32";
// "unknown (N)" for an id it does not define.
std::string file_type_name(int64_t file_type);

}  // namespace airlock::gguf
