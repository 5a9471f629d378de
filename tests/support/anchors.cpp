#include "anchors.h"

#include <cstdlib>

namespace airlock::anchors {

std::filesystem::path dir() {
  if (const char* env = std::getenv("AIRLOCK_ANCHORS"); env && *env) return env;
  return AIRLOCK_DEFAULT_ANCHORS;
}

std::filesystem::path llama_cpp() { return dir() / "llama.cpp-c392e50"; }

bool cpu_can_run() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
         __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512bf16");
}

}  // namespace airlock::anchors
