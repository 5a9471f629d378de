// `airlock quantize` and `create --quantize`: rewrites an F32/F16/BF16 GGUF in a llama.cpp file
// type ("Q4_K_M", "Q8_0", ...), tensor by tensor in row batches (constant memory), using the type
// table's to_float/from_float. Each tensor gets the type llama.cpp's quantizer would give it
// (tensor/quant_plan.h: Q6_K for the output and some attn_v/ffn_down layers of Q4_K_M, fallbacks
// for rows no block divides); norms, biases and the other tensors llama.cpp leaves alone keep their
// type. The bytes equal llama-quantize's for the same input whatever the thread count: each row is
// quantized on its own.
//
// With an importance matrix (store/imatrix.h) the tensors it has an entry for are quantized with
// llama.cpp's importance-weighted searches (each row's error weighted per column), its layer rules
// for imatrix files apply, and the output records the matrix under quantize.imatrix.* as
// llama-quantize does. A tensor without an entry is quantized as without a matrix; an entry of the
// wrong length stops the conversion (except for token_embd.weight, which llama-imatrix never
// measures properly and llama-quantize lets pass).
#pragma once
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string_view>

namespace airlock::store {

struct QuantizeOptions {
  int threads = 0;  // worker threads; <= 0: one per physical core
  // Called after each converted tensor with (converted so far, tensors to convert).
  std::function<void(size_t, size_t)> progress;
  // llama-imatrix's output for this model; empty: none.
  std::filesystem::path imatrix;
};

// Writes dst atomically (nothing is left behind on failure). Throws airlock::Error for an unknown
// or unsupported type name, a missing or unreadable source, one whose weights are already
// quantised, or a bad or mismatched importance matrix.
void quantize_gguf(const std::filesystem::path& src, const std::filesystem::path& dst, std::string_view file_type,
                   const QuantizeOptions& options = {});

}  // namespace airlock::store
