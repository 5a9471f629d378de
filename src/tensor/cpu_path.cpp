#include "tensor/cpu_path.h"

#include <cpuid.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "airlock/error.h"

namespace airlock {

// clang 14 rejects __builtin_cpu_supports("f16c"), which would break the clang (sanitizer) build;
// CPUID leaf 1 says it on every compiler.
bool has_f16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C);
}

bool has_avx512_bf16() {
  static const bool has = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    // CPUID leaf 7, sub-leaf 1: EAX bit 5 is AVX512_BF16.
    return detected_cpu_path() == CpuPath::Avx512 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && (eax & (1u << 5));
  }();
  return has;
}

namespace {

// -1: not forced; otherwise a CpuPath value.
std::atomic<int> g_forced{-1};

CpuPath from_env() {
  static const CpuPath path = [] {
    const char* env = std::getenv("AIRLOCK_CPU");
    if (!env || !*env) return detected_cpu_path();
    const auto p = parse_cpu_path(env);
    if (!p) throw Error(std::string("AIRLOCK_CPU: unknown path '") + env + "' (expected scalar, avx2 or avx512)");
    if (static_cast<int>(*p) > static_cast<int>(detected_cpu_path()))
      throw Error(std::string("AIRLOCK_CPU: this CPU cannot run the ") + env + " path");
    return *p;
  }();
  return path;
}

}  // namespace

CpuPath detected_cpu_path() {
  static const CpuPath path = [] {
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c();
    const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
    return avx512 ? CpuPath::Avx512 : avx2 ? CpuPath::Avx2 : CpuPath::Scalar;
  }();
  return path;
}

CpuPath active_cpu_path() {
  const int forced = g_forced.load(std::memory_order_relaxed);
  return forced >= 0 ? static_cast<CpuPath>(forced) : from_env();
}

void force_cpu_path(std::optional<CpuPath> path) {
  if (path && static_cast<int>(*path) > static_cast<int>(detected_cpu_path()))
    throw Error(std::string("force_cpu_path: this CPU cannot run the ") + cpu_path_name(*path) + " path");
  g_forced.store(path ? static_cast<int>(*path) : -1, std::memory_order_relaxed);
}

const char* cpu_path_name(CpuPath p) {
  switch (p) {
    case CpuPath::Scalar: return "scalar";
    case CpuPath::Avx2: return "avx2";
    case CpuPath::Avx512: return "avx512";
  }
  return "?";
}

std::optional<CpuPath> parse_cpu_path(std::string_view name) {
  for (CpuPath p : {CpuPath::Scalar, CpuPath::Avx2, CpuPath::Avx512})
    if (name == cpu_path_name(p)) return p;
  return std::nullopt;
}

}  // namespace airlock
