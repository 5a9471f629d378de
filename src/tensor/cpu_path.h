// Which instruction-set path the compute kernels take. Detected once from the CPU; the environment
// variable AIRLOCK_CPU=scalar|avx2|avx512 or force_cpu_path() (tests, benchmarks) can lower it.
#pragma once
#include <optional>
#include <string_view>

namespace airlock {

enum class CpuPath : int { Scalar = 0, Avx2 = 1, Avx512 = 2 };
inline constexpr int kCpuPathCount = 3;

// The best path this CPU runs: Avx2 needs AVX2+FMA+F16C; Avx512 needs AVX-512 F/BW/VL/VNNI too.
CpuPath detected_cpu_path();
// The path in effect: the forced one if any, else AIRLOCK_CPU if set, else the detected one.
// Throws airlock::Error when AIRLOCK_CPU names an unknown path or one this CPU cannot run.
CpuPath active_cpu_path();
// Overrides the path for the whole process (nullopt: back to AIRLOCK_CPU / detection). Throws
// airlock::Error for a path the CPU cannot run.
void force_cpu_path(std::optional<CpuPath> path);

// Whether the CPU converts halves in hardware (F16C); one check for every compiler.
bool has_f16c();
// Whether the AVX-512 path may also use the AVX-512 BF16 dot products (vdpbf16ps): the CPU has
// them and the detected path is Avx512 (so the OS saves the zmm state).
bool has_avx512_bf16();

const char* cpu_path_name(CpuPath p);
std::optional<CpuPath> parse_cpu_path(std::string_view name);

}  // namespace airlock
