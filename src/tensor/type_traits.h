// The tensor type table: one row per GGML type with its block layout and its conversion
// functions. Everything that needs to know about a weight type asks this table; there are no
// per-type switch statements elsewhere.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "tensor/cpu_path.h"
#include "tensor/vec_dot.h"

namespace airlock {

// Numeric values are the GGML/GGUF on-disk identifiers; gaps are types GGML has retired.
enum class TensorType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
  IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};

// Converts n values (n a multiple of block_size) between the type's blocks and float.
using ToFloatFn = void (*)(const void* src, float* dst, int64_t n);
using FromFloatFn = void (*)(const float* src, void* dst, int64_t n);
// Quantizes one row of n values weighted by per-column importances qw[n] (an importance matrix).
using FromFloatWeightedFn = void (*)(const float* src, void* dst, int64_t n, const float* qw);

struct TypeTraits {
  TensorType type;
  const char* name;          // as GGML names it: "f32", "q4_K", ...
  int64_t block_size;        // elements per block
  size_t type_size;          // bytes per block
  bool quantized;
  ToFloatFn to_float;        // nullptr where airlock cannot compute with this type (yet)
  FromFloatFn from_float;    // nullptr where airlock cannot write this type
  // Dot products: activations are first converted to vec_dot_type (Q8_0/Q8_1 for the legacy
  // quants, Q8_K for the K-quants, F32 for the float types); vec_dot[path] is the kernel for each
  // CpuPath, nullptr where that ISA has none (a lower path's kernel is used instead).
  TensorType vec_dot_type;
  std::array<kernels::VecDotFn, kCpuPathCount> vec_dot;
  // Kernels taking up to kMaxMultiDot activation rows at once (prompt processing); nullptr where a
  // path has none (matmul then calls vec_dot per token).
  std::array<kernels::VecDotMultiFn, kCpuPathCount> vec_dot_multi;
  // Faster from_float for a CpuPath, giving identical blocks (activation types); nullptr: use
  // from_float.
  std::array<FromFloatFn, kCpuPathCount> from_float_simd;
  // Faster to_float for a CpuPath, giving identical floats (the F16 KV cache rows attention
  // reads); nullptr: use to_float.
  std::array<ToFloatFn, kCpuPathCount> to_float_simd;
};

// The row for a raw on-disk type id, or nullptr for an id GGML does not define.
const TypeTraits* find_type_traits(uint32_t raw_type);
// The row for a known type.
const TypeTraits& type_traits(TensorType t);
// The row whose name matches (case-insensitive), e.g. "Q4_K" or "q8_0".
const TypeTraits* find_type_traits(std::string_view name);

const char* type_name(TensorType t);

// The best dot-product kernel for the type at or below the given path; nullptr if it has none.
kernels::VecDotFn vec_dot_kernel(const TypeTraits& t, CpuPath path);
kernels::VecDotMultiFn vec_dot_multi_kernel(const TypeTraits& t, CpuPath path);
// The fastest quantizer for the type at or below the path (from_float when there is no SIMD one).
FromFloatFn from_float_kernel(const TypeTraits& t, CpuPath path);
// The importance-weighted quantizer of a type, or nullptr when the type's quantizer takes no
// importance matrix (Q8_0, the float types) or airlock cannot write it. A type with one but no
// from_float (IQ2_XXS, IQ2_XS, IQ2_S, IQ1_S, IQ1_M) can only be written with an importance matrix.
FromFloatWeightedFn from_float_weighted(TensorType t);
// The fastest dequantizer for the type at or below the path (to_float when there is no SIMD one).
ToFloatFn to_float_kernel(const TypeTraits& t, CpuPath path);

// Bytes for a row of n elements, or nullopt if n is not a whole number of blocks.
std::optional<size_t> row_bytes(TensorType t, int64_t n);

}  // namespace airlock
