#include "tensor/type_traits.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace airlock {

namespace {

// Block layouts follow ggml's block_* structs (QK_K = 256 for the K- and IQ-quants).
// to_float/from_float are filled in by the quant formats as they are implemented.
constexpr std::array kTypes = {
    TypeTraits{TensorType::F32, "f32", 1, 4, false, nullptr, nullptr},
    TypeTraits{TensorType::F16, "f16", 1, 2, false, nullptr, nullptr},
    TypeTraits{TensorType::Q4_0, "q4_0", 32, 18, true, nullptr, nullptr},
    TypeTraits{TensorType::Q4_1, "q4_1", 32, 20, true, nullptr, nullptr},
    TypeTraits{TensorType::Q5_0, "q5_0", 32, 22, true, nullptr, nullptr},
    TypeTraits{TensorType::Q5_1, "q5_1", 32, 24, true, nullptr, nullptr},
    TypeTraits{TensorType::Q8_0, "q8_0", 32, 34, true, nullptr, nullptr},
    TypeTraits{TensorType::Q8_1, "q8_1", 32, 36, true, nullptr, nullptr},
    TypeTraits{TensorType::Q2_K, "q2_K", 256, 84, true, nullptr, nullptr},
    TypeTraits{TensorType::Q3_K, "q3_K", 256, 110, true, nullptr, nullptr},
    TypeTraits{TensorType::Q4_K, "q4_K", 256, 144, true, nullptr, nullptr},
    TypeTraits{TensorType::Q5_K, "q5_K", 256, 176, true, nullptr, nullptr},
    TypeTraits{TensorType::Q6_K, "q6_K", 256, 210, true, nullptr, nullptr},
    TypeTraits{TensorType::Q8_K, "q8_K", 256, 292, true, nullptr, nullptr},
    TypeTraits{TensorType::IQ2_XXS, "iq2_xxs", 256, 66, true, nullptr, nullptr},
    TypeTraits{TensorType::IQ2_XS, "iq2_xs", 256, 74, true, nullptr, nullptr},
    TypeTraits{TensorType::IQ3_XXS, "iq3_xxs", 256, 98, true, nullptr, nullptr},
    TypeTraits{TensorType::IQ1_S, "iq1_s", 256, 50, true, nullptr, nullptr},
    TypeTraits{TensorType::IQ4_NL, "iq4_nl", 32, 18, true, nullptr, nullptr},
    TypeTraits{TensorType::IQ3_S, "iq3_s", 256, 110, true, nullptr, nullptr},
    TypeTraits{TensorType::IQ2_S, "iq2_s", 256, 82, true, nullptr, nullptr},
    TypeTraits{TensorType::IQ4_XS, "iq4_xs", 256, 136, true, nullptr, nullptr},
    TypeTraits{TensorType::I8, "i8", 1, 1, false, nullptr, nullptr},
    TypeTraits{TensorType::I16, "i16", 1, 2, false, nullptr, nullptr},
    TypeTraits{TensorType::I32, "i32", 1, 4, false, nullptr, nullptr},
    TypeTraits{TensorType::I64, "i64", 1, 8, false, nullptr, nullptr},
    TypeTraits{TensorType::F64, "f64", 1, 8, false, nullptr, nullptr},
    TypeTraits{TensorType::IQ1_M, "iq1_m", 256, 56, true, nullptr, nullptr},
    TypeTraits{TensorType::BF16, "bf16", 1, 2, false, nullptr, nullptr},
    TypeTraits{TensorType::TQ1_0, "tq1_0", 256, 54, true, nullptr, nullptr},
    TypeTraits{TensorType::TQ2_0, "tq2_0", 256, 66, true, nullptr, nullptr},
    TypeTraits{TensorType::MXFP4, "mxfp4", 32, 17, true, nullptr, nullptr},
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

std::optional<size_t> row_bytes(TensorType t, int64_t n) {
  const auto& tr = type_traits(t);
  if (n < 0 || n % tr.block_size != 0) return std::nullopt;
  return static_cast<size_t>(n / tr.block_size) * tr.type_size;
}

}  // namespace airlock
