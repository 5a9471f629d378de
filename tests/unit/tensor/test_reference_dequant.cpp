// Our to_float against the reference engine's, type by type, on random blocks: the prebuilt
// llama.cpp in ../shared/anchors is loaded with dlopen and its ggml_get_type_traits(type)->to_float
// is called on the same bytes. This pins every block layout, grid table and scale rule to the
// format's own definition rather than to our reading of it.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "support/anchors.h"
#include "random_blocks.h"
#include "tensor/type_traits.h"

using namespace airlock;

namespace {

// ggml's public structs, as declared in ggml.h at the anchors' commit.
struct GgmlInitParams {
  size_t mem_size;
  void* mem_buffer;
  bool no_alloc;
};
struct GgmlTypeTraits {
  const char* type_name;
  int64_t blck_size;
  int64_t blck_size_interleave;
  size_t type_size;
  bool is_quantized;
  void (*to_float)(const void* x, float* y, int64_t k);
  void (*from_float_ref)(const float* x, void* y, int64_t k);
};

class ReferenceLib {
 public:
  ReferenceLib() {
    const auto path = anchors::llama_cpp() / "libggml-base.so";
    if (!anchors::cpu_can_run()) {
      error_ = "this CPU lacks the AVX-512 extensions the prebuilt reference was built for";
      return;
    }
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) {
      error_ = "cannot load " + path.string() + ": " + dlerror();
      return;
    }
    type_name_ = reinterpret_cast<const char* (*)(int)>(dlsym(handle_, "ggml_type_name"));
    traits_ = reinterpret_cast<const GgmlTypeTraits* (*)(int)>(dlsym(handle_, "ggml_get_type_traits"));
    auto init = reinterpret_cast<void* (*)(GgmlInitParams)>(dlsym(handle_, "ggml_init"));
    auto free_ctx = reinterpret_cast<void (*)(void*)>(dlsym(handle_, "ggml_free"));
    if (!type_name_ || !traits_ || !init || !free_ctx) {
      error_ = path.string() + " lacks ggml_type_name, ggml_get_type_traits or ggml_init";
      return;
    }
    // ggml_init fills the half-to-float table its dequantisers read.
    free_ctx(init(GgmlInitParams{1024, nullptr, true}));
  }
  ~ReferenceLib() {
    if (handle_) dlclose(handle_);
  }
  ReferenceLib(const ReferenceLib&) = delete;
  ReferenceLib& operator=(const ReferenceLib&) = delete;

  const std::string& error() const { return error_; }
  // The reference's traits for a type id, or nullptr where that build predates the type
  // (ggml_get_type_traits asserts on ids past its count; ggml_type_name answers "NONE").
  const GgmlTypeTraits* traits(TensorType t) const {
    const char* name = type_name_(static_cast<int>(t));
    if (!name || std::string(name) == "NONE") return nullptr;
    return traits_(static_cast<int>(t));
  }

 private:
  void* handle_ = nullptr;
  std::string error_;
  const char* (*type_name_)(int) = nullptr;
  const GgmlTypeTraits* (*traits_)(int) = nullptr;
};

}  // namespace

TEST(ReferenceDequant, EveryTypeMatchesTheReference) {
  static ReferenceLib lib;
  if (!lib.error().empty())
    GTEST_SKIP() << "!!! REFERENCE ENGINE UNAVAILABLE: " << lib.error()
                 << "; set AIRLOCK_ANCHORS. Dequantisation was NOT compared with the reference. !!!";
  std::mt19937 rng(20);
  int compared = 0;
  std::vector<std::string> absent;
  for (uint32_t id = 0; id < 64; ++id) {
    const TypeTraits* tr = find_type_traits(id);
    if (!tr || !tr->to_float || !tr->quantized || tr->type == TensorType::Q8_1 || tr->type == TensorType::Q8_K) continue;
    const GgmlTypeTraits* ref = lib.traits(tr->type);
    if (!ref || !ref->to_float) {
      absent.push_back(tr->name);
      continue;
    }
    SCOPED_TRACE(tr->name);
    // The reference's struct layout is what we think it is.
    ASSERT_EQ(std::string(ref->type_name), tr->name);
    ASSERT_EQ(ref->blck_size, tr->block_size);
    ASSERT_EQ(ref->type_size, tr->type_size);
    const int64_t n = 64 * std::max<int64_t>(tr->block_size, 256);
    const auto q = test::random_blocks(tr->type, n, rng);
    std::vector<float> ours(static_cast<size_t>(n)), theirs(static_cast<size_t>(n));
    tr->to_float(q.data(), ours.data(), n);
    ref->to_float(q.data(), theirs.data(), n);
    int mismatches = 0;
    for (int64_t i = 0; i < n && mismatches < 5; ++i)
      if (!(ours[i] == theirs[i])) {
        ADD_FAILURE() << "element " << i << " (block " << i / tr->block_size << "): ours " << ours[i] << ", reference "
                      << theirs[i];
        ++mismatches;
      }
    ++compared;
  }
  for (const auto& name : absent)
    std::printf("!!! %s: the reference build predates this type; compared by hand-built blocks only !!!\n", name.c_str());
  EXPECT_GE(compared, 21);
}
