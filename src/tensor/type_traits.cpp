#include "tensor/type_traits.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "tensor/fp16.h"
#include "tensor/quant_blocks.h"
#include "tensor/quant_formats.h"

namespace airlock {

namespace {

// Block layouts follow ggml's block_* structs (QK_K = 256 for the K- and IQ-quants).
// Types without to_float/from_float are ones airlock cannot compute with or write (yet).
constexpr std::array kTypes = {
    TypeTraits{TensorType::F32, "f32", 1, sizeof(float), false, fp16::f32_to_f32_row, fp16::f32_from_f32_row,
               TensorType::F32, {kernels::f32_f32_scalar, kernels::f32_f32_avx2, kernels::f32_f32_avx512}, {}, {}, {}},
    TypeTraits{TensorType::F16, "f16", 1, sizeof(uint16_t), false, fp16::f16_to_f32_row, fp16::f16_from_f32_row,
               TensorType::F32, {kernels::f16_f32_scalar, kernels::f16_f32_avx2, kernels::f16_f32_avx512}, {}, {},
               {nullptr, fp16::f16_to_f32_row_avx2, nullptr}},
    TypeTraits{TensorType::Q4_0, "q4_0", 32, sizeof(quant::BlockQ4_0), true, quant::dequantize_q4_0, quant::quantize_q4_0,
               TensorType::Q8_0, {kernels::q4_0_q8_0_scalar, kernels::q4_0_q8_0_avx2, kernels::q4_0_q8_0_avx512},
               {nullptr, nullptr, kernels::q4_0_q8_0_multi_avx512}, {}, {}},
    TypeTraits{TensorType::Q4_1, "q4_1", 32, sizeof(quant::BlockQ4_1), true, quant::dequantize_q4_1, quant::quantize_q4_1,
               TensorType::Q8_1, {kernels::q4_1_q8_1_scalar, kernels::q4_1_q8_1_avx2, nullptr}, {}, {}, {}},
    TypeTraits{TensorType::Q5_0, "q5_0", 32, sizeof(quant::BlockQ5_0), true, quant::dequantize_q5_0, quant::quantize_q5_0,
               TensorType::Q8_0, {kernels::q5_0_q8_0_scalar, kernels::q5_0_q8_0_avx2, nullptr}, {}, {}, {}},
    TypeTraits{TensorType::Q5_1, "q5_1", 32, sizeof(quant::BlockQ5_1), true, quant::dequantize_q5_1, quant::quantize_q5_1,
               TensorType::Q8_1, {kernels::q5_1_q8_1_scalar, kernels::q5_1_q8_1_avx2, nullptr}, {}, {}, {}},
    TypeTraits{TensorType::Q8_0, "q8_0", 32, sizeof(quant::BlockQ8_0), true, quant::dequantize_q8_0, quant::quantize_q8_0,
               TensorType::Q8_0, {kernels::q8_0_q8_0_scalar, kernels::q8_0_q8_0_avx2, kernels::q8_0_q8_0_avx512},
               {nullptr, nullptr, kernels::q8_0_q8_0_multi_avx512},
               {nullptr, quant::quantize_q8_0_avx2, nullptr}, {}},
    TypeTraits{TensorType::Q8_1, "q8_1", 32, sizeof(quant::BlockQ8_1), true, quant::dequantize_q8_1, quant::quantize_q8_1, TensorType::Q8_1, {}, {},
               {nullptr, quant::quantize_q8_1_avx2, nullptr}, {}},
    TypeTraits{TensorType::Q2_K, "q2_K", 256, sizeof(quant::BlockQ2_K), true, quant::dequantize_q2_K, quant::quantize_q2_K,
               TensorType::Q8_K, {kernels::q2_K_q8_K_scalar, kernels::q2_K_q8_K_avx2, nullptr}, {},
               {nullptr, quant::quantize_q2_K_avx2, nullptr}, {}},
    TypeTraits{TensorType::Q3_K, "q3_K", 256, sizeof(quant::BlockQ3_K), true, quant::dequantize_q3_K, quant::quantize_q3_K,
               TensorType::Q8_K, {kernels::q3_K_q8_K_scalar, kernels::q3_K_q8_K_avx2, nullptr}, {},
               {nullptr, quant::quantize_q3_K_avx2, nullptr}, {}},
    TypeTraits{TensorType::Q4_K, "q4_K", 256, sizeof(quant::BlockQ4_K), true, quant::dequantize_q4_K, quant::quantize_q4_K,
               TensorType::Q8_K, {kernels::q4_K_q8_K_scalar, kernels::q4_K_q8_K_avx2, kernels::q4_K_q8_K_avx512},
               {nullptr, nullptr, kernels::q4_K_q8_K_multi_avx512},
               {nullptr, quant::quantize_q4_K_avx2, nullptr}, {}},
    TypeTraits{TensorType::Q5_K, "q5_K", 256, sizeof(quant::BlockQ5_K), true, quant::dequantize_q5_K, quant::quantize_q5_K,
               TensorType::Q8_K, {kernels::q5_K_q8_K_scalar, kernels::q5_K_q8_K_avx2, kernels::q5_K_q8_K_avx512},
               {nullptr, nullptr, kernels::q5_K_q8_K_multi_avx512},
               {nullptr, quant::quantize_q5_K_avx2, nullptr}, {}},
    TypeTraits{TensorType::Q6_K, "q6_K", 256, sizeof(quant::BlockQ6_K), true, quant::dequantize_q6_K, quant::quantize_q6_K,
               TensorType::Q8_K, {kernels::q6_K_q8_K_scalar, kernels::q6_K_q8_K_avx2, kernels::q6_K_q8_K_avx512},
               {nullptr, nullptr, kernels::q6_K_q8_K_multi_avx512},
               {nullptr, quant::quantize_q6_K_avx2, nullptr}, {}},
    TypeTraits{TensorType::Q8_K, "q8_K", 256, sizeof(quant::BlockQ8_K), true, quant::dequantize_q8_K, quant::quantize_q8_K, TensorType::Q8_K, {}, {},
               {nullptr, quant::quantize_q8_K_avx2, nullptr}, {}},
    TypeTraits{TensorType::IQ2_XXS, "iq2_xxs", 256, sizeof(quant::BlockIQ2_XXS), true, quant::dequantize_iq2_xxs, nullptr,
               TensorType::Q8_K, {kernels::iq2_xxs_q8_K_scalar, kernels::iq2_xxs_q8_K_avx2, nullptr}, {}, {}, {}},
    TypeTraits{TensorType::IQ2_XS, "iq2_xs", 256, sizeof(quant::BlockIQ2_XS), true, quant::dequantize_iq2_xs, nullptr,
               TensorType::Q8_K, {kernels::iq2_xs_q8_K_scalar, kernels::iq2_xs_q8_K_avx2, nullptr}, {}, {}, {}},
    TypeTraits{TensorType::IQ3_XXS, "iq3_xxs", 256, sizeof(quant::BlockIQ3_XXS), true, quant::dequantize_iq3_xxs, quant::quantize_iq3_xxs,
               TensorType::Q8_K, {kernels::iq3_xxs_q8_K_scalar, kernels::iq3_xxs_q8_K_avx2, nullptr}, {}, {}, {}},
    TypeTraits{TensorType::IQ1_S, "iq1_s", 256, sizeof(quant::BlockIQ1_S), true, quant::dequantize_iq1_s, nullptr,
               TensorType::Q8_K, {kernels::iq1_s_q8_K_scalar, kernels::iq1_s_q8_K_avx2, nullptr}, {}, {}, {}},
    TypeTraits{TensorType::IQ4_NL, "iq4_nl", 32, sizeof(quant::BlockIQ4_NL), true, quant::dequantize_iq4_nl, quant::quantize_iq4_nl,
               TensorType::Q8_0, {kernels::iq4_nl_q8_0_scalar, kernels::iq4_nl_q8_0_avx2, nullptr}, {},
               {nullptr, quant::quantize_iq4_nl_avx2, nullptr}, {}},
    TypeTraits{TensorType::IQ3_S, "iq3_s", 256, sizeof(quant::BlockIQ3_S), true, quant::dequantize_iq3_s, quant::quantize_iq3_s,
               TensorType::Q8_K, {kernels::iq3_s_q8_K_scalar, kernels::iq3_s_q8_K_avx2, nullptr}, {}, {}, {}},
    TypeTraits{TensorType::IQ2_S, "iq2_s", 256, sizeof(quant::BlockIQ2_S), true, quant::dequantize_iq2_s, nullptr,
               TensorType::Q8_K, {kernels::iq2_s_q8_K_scalar, kernels::iq2_s_q8_K_avx2, nullptr}, {}, {}, {}},
    TypeTraits{TensorType::IQ4_XS, "iq4_xs", 256, sizeof(quant::BlockIQ4_XS), true, quant::dequantize_iq4_xs, quant::quantize_iq4_xs,
               TensorType::Q8_K, {kernels::iq4_xs_q8_K_scalar, kernels::iq4_xs_q8_K_avx2, nullptr}, {},
               {nullptr, quant::quantize_iq4_xs_avx2, nullptr}, {}},
    TypeTraits{TensorType::I8, "i8", 1, 1, false, nullptr, nullptr, TensorType::I8, {}, {}, {}, {}},
    TypeTraits{TensorType::I16, "i16", 1, 2, false, nullptr, nullptr, TensorType::I16, {}, {}, {}, {}},
    TypeTraits{TensorType::I32, "i32", 1, 4, false, nullptr, nullptr, TensorType::I32, {}, {}, {}, {}},
    TypeTraits{TensorType::I64, "i64", 1, 8, false, nullptr, nullptr, TensorType::I64, {}, {}, {}, {}},
    TypeTraits{TensorType::F64, "f64", 1, 8, false, nullptr, nullptr, TensorType::F64, {}, {}, {}, {}},
    TypeTraits{TensorType::IQ1_M, "iq1_m", 256, sizeof(quant::BlockIQ1_M), true, quant::dequantize_iq1_m, nullptr,
               TensorType::Q8_K, {kernels::iq1_m_q8_K_scalar, kernels::iq1_m_q8_K_avx2, nullptr}, {}, {}, {}},
    TypeTraits{TensorType::BF16, "bf16", 1, sizeof(uint16_t), false, fp16::bf16_to_f32_row, fp16::bf16_from_f32_row,
               TensorType::F32, {kernels::bf16_f32_scalar, kernels::bf16_f32_avx2, nullptr}, {}, {}, {}},
    TypeTraits{TensorType::TQ1_0, "tq1_0", 256, sizeof(quant::BlockTQ1_0), true, quant::dequantize_tq1_0, nullptr,
               TensorType::Q8_K, {kernels::tq1_0_q8_K_scalar, kernels::tq1_0_q8_K_avx2, nullptr}, {}, {}, {}},
    TypeTraits{TensorType::TQ2_0, "tq2_0", 256, sizeof(quant::BlockTQ2_0), true, quant::dequantize_tq2_0, nullptr,
               TensorType::Q8_K, {kernels::tq2_0_q8_K_scalar, kernels::tq2_0_q8_K_avx2, nullptr}, {}, {}, {}},
    TypeTraits{TensorType::MXFP4, "mxfp4", 32, sizeof(quant::BlockMXFP4), true, quant::dequantize_mxfp4, nullptr,
               TensorType::Q8_0, {kernels::mxfp4_q8_0_scalar, kernels::mxfp4_q8_0_avx2, nullptr}, {}, {}, {}},
};

// The types whose quantizer takes an importance matrix (the rest, Q8_0 and the float types,
// ignore one, as llama.cpp's do). Kept beside kTypes rather than in it: only the writer needs it.
struct WeightedQuantizer {
  TensorType type;
  FromFloatWeightedFn fn;
};
constexpr WeightedQuantizer kWeightedQuantizers[] = {
    {TensorType::Q4_0, quant::quantize_q4_0_weighted},     {TensorType::Q4_1, quant::quantize_q4_1_weighted},
    {TensorType::Q5_0, quant::quantize_q5_0_weighted},     {TensorType::Q5_1, quant::quantize_q5_1_weighted},
    {TensorType::Q2_K, quant::quantize_q2_K_weighted},     {TensorType::Q3_K, quant::quantize_q3_K_weighted},
    {TensorType::Q4_K, quant::quantize_q4_K_weighted},     {TensorType::Q5_K, quant::quantize_q5_K_weighted},
    {TensorType::Q6_K, quant::quantize_q6_K_weighted},     {TensorType::IQ4_NL, quant::quantize_iq4_nl_weighted},
    {TensorType::IQ4_XS, quant::quantize_iq4_xs_weighted},   {TensorType::IQ3_XXS, quant::quantize_iq3_xxs_weighted},
    {TensorType::IQ3_S, quant::quantize_iq3_s_weighted},     {TensorType::IQ2_XXS, quant::quantize_iq2_xxs_weighted},
    {TensorType::IQ2_XS, quant::quantize_iq2_xs_weighted},     {TensorType::IQ2_S, quant::quantize_iq2_s_weighted},
    {TensorType::IQ1_S, quant::quantize_iq1_s_weighted},     {TensorType::IQ1_M, quant::quantize_iq1_m_weighted},
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

const TypeTraits* find_type_traits(uint32_t raw_type) {
  for (const auto& t : kTypes)
    if (static_cast<uint32_t>(t.type) == raw_type) return &t;
  return nullptr;
}

const TypeTraits& type_traits(TensorType t) { return *find_type_traits(static_cast<uint32_t>(t)); }

const TypeTraits* find_type_traits(std::string_view name) {
  for (const auto& t : kTypes)
    if (iequals(t.name, name)) return &t;
  return nullptr;
}

const char* type_name(TensorType t) { return type_traits(t).name; }

namespace {

// The entry for the highest path at or below `path` that has one.
template <class Fn>
Fn best_at_or_below(const std::array<Fn, kCpuPathCount>& fns, CpuPath path) {
  for (int p = static_cast<int>(path); p >= 0; --p)
    if (fns[static_cast<size_t>(p)]) return fns[static_cast<size_t>(p)];
  return nullptr;
}

}  // namespace

kernels::VecDotFn vec_dot_kernel(const TypeTraits& t, CpuPath path) { return best_at_or_below(t.vec_dot, path); }

kernels::VecDotMultiFn vec_dot_multi_kernel(const TypeTraits& t, CpuPath path) {
  return best_at_or_below(t.vec_dot_multi, path);
}

FromFloatFn from_float_kernel(const TypeTraits& t, CpuPath path) {
  const FromFloatFn fast = best_at_or_below(t.from_float_simd, path);
  return fast ? fast : t.from_float;
}

FromFloatWeightedFn from_float_weighted(TensorType t) {
  for (const auto& w : kWeightedQuantizers)
    if (w.type == t) return w.fn;
  return nullptr;
}

ToFloatFn to_float_kernel(const TypeTraits& t, CpuPath path) {
  const ToFloatFn fast = best_at_or_below(t.to_float_simd, path);
  return fast ? fast : t.to_float;
}

std::optional<size_t> row_bytes(TensorType t, int64_t n) {
  const auto& tr = type_traits(t);
  if (n < 0 || n % tr.block_size != 0) return std::nullopt;
  return static_cast<size_t>(n / tr.block_size) * tr.type_size;
}

}  // namespace airlock
