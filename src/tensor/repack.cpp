#include "tensor/repack.h"

#include <cstdlib>
#include <cstring>

#include "tensor/repack_q4_K.h"

namespace airlock {

namespace {

struct RepackRow {
  TensorType type;
  CpuPath path;
  RepackKernels kernels;
};

constexpr RepackRow kRows[] = {
    {TensorType::Q4_K, CpuPath::Avx512, {repack_k4::group_bytes_q4_K, repack_k4::pack_q4_K, repack_k4::tile_q4_K_avx512}},
    {TensorType::Q5_K, CpuPath::Avx512, {repack_k4::group_bytes_q5_K, repack_k4::pack_q5_K, repack_k4::tile_q5_K_avx512}},
};

}  // namespace

const RepackKernels* repack_kernels(TensorType type, CpuPath path) {
  for (const RepackRow& r : kRows)
    if (r.type == type && r.path == path) return &r.kernels;
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
