// airlock's quantizer against the reference one (llama-quantize from ../shared/anchors), per file
// type: both convert the same synthetic F16 models, and every tensor must come out with the same
// type and the same bytes. The metadata may differ in key order, so the files are compared tensor
// by tensor (names, types, shapes, data) plus general.file_type.
// Three small shapes cover the rules: layer-dependent choices (8 layers), a grouped-query model
// (4 query heads per kv head, which Q2_K and the IQ4 types look at) whose ffn_down rows are not
// whole super-blocks (the fallback types), and an untied output matrix.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>

#include "gguf/gguf.h"
#include "model/synth.h"
#include "store/quantize.h"
#include "support/anchors.h"
#include "tensor/type_traits.h"
#include "support/temp_dir.h"

namespace airlock {
namespace {

const char* const kFileTypes[] = {"Q8_0",   "Q4_0",   "Q4_1",   "Q5_0",   "Q5_1",   "Q2_K",
                                  "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S",
                                  "Q5_K_M", "Q6_K",   "IQ4_NL", "IQ4_XS", "BF16"};

struct Shape {
  const char* name;
  synth::Options options;
};

synth::Options shape(const char* preset, int64_t layers, int64_t embd, int64_t ff, int64_t vocab) {
  synth::Options o;
  o.preset = preset;
  o.layers = layers;
  o.embd = embd;
  o.ff = ff;
  o.vocab = vocab;
  return o;
}

const Shape kShapes[] = {
    {"layers8", shape("demo", 8, 256, 512, 0)},
    {"gqa4_rows288", shape("llama-3.2-1b", 4, 256, 288, 512)},
    {"untied_rows96", shape("llama-2-7b", 2, 256, 96, 512)},
};

using test_support::TempDir;

bool reference_available() {
  return std::filesystem::exists(anchors::llama_cpp() / "llama-quantize") && anchors::cpu_can_run();
}

void reference_quantize(const std::filesystem::path& in, const std::filesystem::path& out, const std::string& ftype) {
  const auto log = out.string() + ".log";
  const std::string cmd = "LD_LIBRARY_PATH='" + anchors::llama_cpp().string() + "' '" +
                          (anchors::llama_cpp() / "llama-quantize").string() + "' '" + in.string() + "' '" +
                          out.string() + "' " + ftype + " 2 > '" + log + "' 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    std::ifstream l(log);
    const std::string text((std::istreambuf_iterator<char>(l)), std::istreambuf_iterator<char>());
    FAIL() << cmd << "\n" << text.substr(text.size() > 2000 ? text.size() - 2000 : 0);
  }
}

// The first block where two tensors' bytes differ, for a readable failure.
size_t first_differing_block(const gguf::TensorInfo& a, const gguf::TensorInfo& b) {
  const size_t block = type_traits(a.type).type_size;
  for (size_t i = 0; i < a.nbytes; ++i)
    if (a.data[i] != b.data[i]) return i / block;
  return a.nbytes / block;
}

class QuantizeReference : public ::testing::TestWithParam<const char*> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    for (const Shape& s : kShapes)
      synth::write_model(synth::plan_model(s.options), 11, dir_->path() / (std::string(s.name) + ".gguf"), 2);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static TempDir* dir_;
};

TempDir* QuantizeReference::dir_ = nullptr;

TEST_P(QuantizeReference, SameTensorsAsLlamaQuantize) {
  const std::string ftype = GetParam();
  if (!reference_available())
    GTEST_SKIP() << "!!! REFERENCE QUANTIZER UNAVAILABLE: " << anchors::llama_cpp()
                 << "/llama-quantize missing or not runnable on this CPU; set AIRLOCK_ANCHORS. " << ftype
                 << " was NOT compared. !!!";
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(std::string(s.name) + " " + ftype);
    const auto src = dir_->path() / (std::string(s.name) + ".gguf");
    const auto theirs_path = dir_->path() / (std::string(s.name) + "-" + ftype + "-ref.gguf");
    const auto ours_path = dir_->path() / (std::string(s.name) + "-" + ftype + "-ours.gguf");
    ASSERT_NO_FATAL_FAILURE(reference_quantize(src, theirs_path, ftype));
    store::quantize_gguf(src, ours_path, ftype);
    const auto theirs = gguf::File::open(theirs_path);
    const auto ours = gguf::File::open(ours_path);
    EXPECT_EQ(ours->get_int("general.file_type"), theirs->get_int("general.file_type"));
    ASSERT_EQ(ours->tensors().size(), theirs->tensors().size());
    int converted = 0;
    for (const auto& t : theirs->tensors()) {
      const gguf::TensorInfo* o = ours->tensor(t.name);
      ASSERT_TRUE(o) << t.name;
      ASSERT_EQ(std::string(type_name(o->type)), type_name(t.type)) << t.name;
      ASSERT_EQ(o->ne, t.ne) << t.name;
      ASSERT_EQ(o->nbytes, t.nbytes) << t.name;
      EXPECT_EQ(0, std::memcmp(o->data, t.data, t.nbytes))
          << t.name << " (" << type_name(t.type) << "): first differing block " << first_differing_block(*o, t);
      converted += t.type != TensorType::F32;
    }
    EXPECT_GT(converted, 4);
    std::filesystem::remove(theirs_path);
    std::filesystem::remove(ours_path);
  }
}

INSTANTIATE_TEST_SUITE_P(FileTypes, QuantizeReference, ::testing::ValuesIn(kFileTypes),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace airlock
