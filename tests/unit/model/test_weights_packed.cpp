// Loading packs the matrices that have a packed layout for the active CPU path (repack.h), and
// leaves the token embedding, which is looked up row by row, in its original layout.
#include <gtest/gtest.h>

#include <string>

#include "model/model.h"
#include "support/fixtures.h"
#include "tensor/cpu_path.h"
#include "tensor/repack.h"

using namespace airlock;

namespace {

void expect_packed_where_possible(const WeightView& w, const std::string& what) {
  if (!w.data) return;
  const RepackKernels* layout = repack_kernels(w.type, active_cpu_path());
  if (layout && w.rows >= kRepackRows) {
    EXPECT_NE(w.packed, nullptr) << what << " (" << type_name(w.type) << ")";
    EXPECT_EQ(w.packed_layout, layout) << what;
  } else {
    EXPECT_EQ(w.packed, nullptr) << what << " (" << type_name(w.type) << ")";
  }
}

}  // namespace

TEST(WeightsPacked, MatricesPackedEmbeddingNot) {
  AIRLOCK_REQUIRE_FIXTURES();
  if (!repack_enabled()) GTEST_SKIP() << "AIRLOCK_REPACK=0";
  // Untied Q4_K_M and Q5_K_M llama, and a qwen2 whose output is tied to a Q6_K token_embd.
  for (const char* name : {"llama-spm-q4_k_m", "llama-spm-q5_k_m", "qwen2-gpt2-q4_k_m"}) {
    SCOPED_TRACE(name);
    const auto m = model::Model::load(fixtures::dir() / "models" / (std::string(name) + ".gguf"));
    const model::Weights& w = m->weights();
    EXPECT_EQ(w.token_embd.packed, nullptr);
    expect_packed_where_possible(w.output, "output");
    int packed = 0;
    for (const auto& L : w.layers) {
      for (const WeightView* v : {&L.wq, &L.wk, &L.wv, &L.wo, &L.ffn_gate, &L.ffn_up, &L.ffn_down}) {
        expect_packed_where_possible(*v, "layer matrix");
        packed += v->packed != nullptr;
      }
    }
    if (active_cpu_path() == CpuPath::Avx512) {
      EXPECT_GT(packed, 0) << "the fixture's Q4_K/Q5_K matrices were not packed";
    }
  }
}
