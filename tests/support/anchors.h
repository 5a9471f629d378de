// Where the reference engines live (../shared/anchors: prebuilt llama.cpp with its ggml libraries
// and llama-quantize), for tests that compare with them. They are optional: such tests skip loudly.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>

namespace airlock::anchors {

// $AIRLOCK_ANCHORS if set, else the path configured at build time (../shared/anchors).
std::filesystem::path dir();

// The mainstream llama.cpp build inside it (libggml-base.so, llama-quantize, llama-imatrix).
std::filesystem::path llama_cpp();

// Whether this CPU can run the prebuilt references: they were built for an AVX-512 machine with
// BF16 and VBMI and may stop with SIGILL elsewhere.
bool cpu_can_run();

}  // namespace airlock::anchors
