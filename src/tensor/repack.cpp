#include "tensor/repack.h"

#include <cstdlib>
#include <cstring>

#include "tensor/repack_bf16.h"
#include "tensor/repack_iq1.h"
#include "tensor/repack_iq2_s.h"
#include "tensor/repack_iq2_xs.h"
#include "tensor/repack_iq3_s.h"
#include "tensor/repack_iq_xxs.h"
#include "tensor/repack_mxfp4.h"
#include "tensor/repack_q2_K.h"
#include "tensor/repack_q3_K_iq4_xs.h"
#include "tensor/repack_q4_1_q5_1.h"
#include "tensor/repack_q4_K.h"
#include "tensor/repack_q6_K_legacy.h"
#include "tensor/repack_ternary.h"

namespace airlock {

namespace {

struct RepackRow {
  TensorType type;
  CpuPath path;
  RepackKernels kernels;
  bool (*available)() = nullptr;  // an extension the path does not imply; nullptr: none needed
};

constexpr RepackRow kRows[] = {
    {TensorType::Q4_K, CpuPath::Avx512, {repack_k4::group_bytes_q4_K, repack_k4::pack_q4_K, repack_k4::tile_q4_K_avx512}},
    {TensorType::Q5_K, CpuPath::Avx512, {repack_k4::group_bytes_q5_K, repack_k4::pack_q5_K, repack_k4::tile_q5_K_avx512}},
    {TensorType::Q6_K, CpuPath::Avx512, {kernels::q6_K_x16_group_bytes, kernels::q6_K_x16_pack, kernels::q6_K_x16_tile_avx512}},
    {TensorType::Q8_0, CpuPath::Avx512, {kernels::q8_0_x16_group_bytes, kernels::q8_0_x16_pack, kernels::q8_0_x16_tile_avx512}},
    {TensorType::Q4_0, CpuPath::Avx512, {kernels::q4_0_x16_group_bytes, kernels::q4_0_x16_pack, kernels::q4_0_x16_tile_avx512}},
    {TensorType::Q5_0, CpuPath::Avx512, {kernels::q5_0_x16_group_bytes, kernels::q5_0_x16_pack, kernels::q5_0_x16_tile_avx512}},
    {TensorType::IQ4_NL, CpuPath::Avx512, {kernels::iq4_nl_x16_group_bytes, kernels::iq4_nl_x16_pack, kernels::iq4_nl_x16_tile_avx512}},
    {TensorType::Q3_K, CpuPath::Avx512, {repack_lanes::group_bytes_q3_K, repack_lanes::pack_q3_K, repack_lanes::tile_q3_K_avx512}},
    {TensorType::IQ4_XS, CpuPath::Avx512, {repack_lanes::group_bytes_iq4_xs, repack_lanes::pack_iq4_xs, repack_lanes::tile_iq4_xs_avx512}},
    {TensorType::Q4_1, CpuPath::Avx512, {repack_lanes::group_bytes_q4_1, repack_lanes::pack_q4_1, repack_lanes::tile_q4_1_avx512}},
    {TensorType::Q5_1, CpuPath::Avx512, {repack_lanes::group_bytes_q5_1, repack_lanes::pack_q5_1, repack_lanes::tile_q5_1_avx512}},
    {TensorType::Q2_K, CpuPath::Avx512, {repack_lanes::group_bytes_q2_K, repack_lanes::pack_q2_K, repack_lanes::tile_q2_K_avx512}},
    {TensorType::IQ3_S, CpuPath::Avx512, {repack_lanes::group_bytes_iq3_s, repack_lanes::pack_iq3_s, repack_lanes::tile_iq3_s_avx512}},
    {TensorType::IQ2_S, CpuPath::Avx512, {repack_lanes::group_bytes_iq2_s, repack_lanes::pack_iq2_s, repack_lanes::tile_iq2_s_avx512}},
    {TensorType::IQ2_XS, CpuPath::Avx512, {repack_lanes::group_bytes_iq2_xs, repack_lanes::pack_iq2_xs, repack_lanes::tile_iq2_xs_avx512}},
    {TensorType::IQ2_XXS, CpuPath::Avx512, {repack_lanes::group_bytes_iq2_xxs, repack_lanes::pack_iq2_xxs, repack_lanes::tile_iq2_xxs_avx512}},
    {TensorType::IQ3_XXS, CpuPath::Avx512, {repack_lanes::group_bytes_iq3_xxs, repack_lanes::pack_iq3_xxs, repack_lanes::tile_iq3_xxs_avx512}},
    {TensorType::TQ2_0, CpuPath::Avx512, {repack_lanes::group_bytes_tq2_0, repack_lanes::pack_tq2_0, repack_lanes::tile_ternary_avx512}},
    {TensorType::MXFP4, CpuPath::Avx512, {repack_lanes::group_bytes_mxfp4, repack_lanes::pack_mxfp4, repack_lanes::tile_mxfp4_avx512}},
    {TensorType::IQ1_S, CpuPath::Avx512, {repack_lanes::group_bytes_iq1_s, repack_lanes::pack_iq1_s, repack_lanes::tile_iq1_s_avx512}},
    {TensorType::IQ1_M, CpuPath::Avx512, {repack_lanes::group_bytes_iq1_m, repack_lanes::pack_iq1_m, repack_lanes::tile_iq1_m_avx512}},
    {TensorType::TQ1_0, CpuPath::Avx512, {repack_lanes::group_bytes_tq1_0, repack_lanes::pack_tq1_0, repack_lanes::tile_tq1_0_avx512}},
    {TensorType::BF16, CpuPath::Avx512, {repack_lanes::group_bytes_bf16, repack_lanes::pack_bf16, repack_lanes::tile_bf16_avx512,
      repack_lanes::act_row_bytes_bf16, repack_lanes::bf16_pairs_avx512},
     has_avx512_bf16},
};

}  // namespace

const RepackKernels* repack_kernels(TensorType type, CpuPath path) {
  for (const RepackRow& r : kRows)
    if (r.type == type && r.path == path && (!r.available || r.available())) return &r.kernels;
  return nullptr;
}

bool repack_enabled() {
  static const bool enabled = [] {
    const char* env = std::getenv("AIRLOCK_REPACK");
    return !(env && std::strcmp(env, "0") == 0);
  }();
  return enabled;
}

}  // namespace airlock
