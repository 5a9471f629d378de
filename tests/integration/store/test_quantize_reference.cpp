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
#include <random>
#include <string>

#include "airlock/error.h"
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
                                  "Q5_K_M", "Q6_K",   "IQ4_NL", "IQ4_XS", "BF16",   "IQ3_XS",
                                  "IQ3_S",  "IQ3_M"};

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

void reference_quantize(const std::filesystem::path& in, const std::filesystem::path& out, const std::string& ftype,
                        const std::filesystem::path& imatrix = {}) {
  const auto log = out.string() + ".log";
  const std::string cmd = "LD_LIBRARY_PATH='" + anchors::llama_cpp().string() + "' '" +
                          (anchors::llama_cpp() / "llama-quantize").string() + "' " +
                          (imatrix.empty() ? "" : "--imatrix '" + imatrix.string() + "' ") + "'" + in.string() +
                          "' '" + out.string() + "' " + ftype + " 2 > '" + log + "' 2>&1";
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

// Both files hold the same tensors with the same types, shapes and bytes; returns how many were
// converted (not F32).
int expect_same_tensors(const gguf::File& ours, const gguf::File& theirs) {
  EXPECT_EQ(ours.get_int("general.file_type"), theirs.get_int("general.file_type"));
  EXPECT_EQ(ours.tensors().size(), theirs.tensors().size());
  int converted = 0;
  for (const auto& t : theirs.tensors()) {
    const gguf::TensorInfo* o = ours.tensor(t.name);
    if (!o) {
      ADD_FAILURE() << t.name << " missing";
      continue;
    }
    EXPECT_EQ(std::string(type_name(o->type)), type_name(t.type)) << t.name;
    EXPECT_EQ(o->ne, t.ne) << t.name;
    if (o->type != t.type || o->nbytes != t.nbytes) continue;
    EXPECT_EQ(0, std::memcmp(o->data, t.data, t.nbytes))
        << t.name << " (" << type_name(t.type) << "): first differing block " << first_differing_block(*o, t);
    converted += t.type != TensorType::F32;
  }
  return converted;
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
    EXPECT_GT(expect_same_tensors(*gguf::File::open(ours_path), *gguf::File::open(theirs_path)), 4);
    std::filesystem::remove(theirs_path);
    std::filesystem::remove(ours_path);
  }
}

INSTANTIATE_TEST_SUITE_P(FileTypes, QuantizeReference, ::testing::ValuesIn(kFileTypes),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

// ---- with an importance matrix -----------------------------------------------------------------

// A valid importance matrix in llama-imatrix's layout with random positive values (log-normal, so
// the columns differ by orders of magnitude) and random call counts for every quantizable matrix
// of the model except, unless `complete`, the first attn_q (quantized without weights: no entry),
// and token_embd, which gets an entry of the wrong length (llama-quantize ignores it there); with
// the trailer.
void write_random_imatrix(const gguf::File& model, const std::filesystem::path& out, uint32_t seed, bool complete) {
  std::mt19937 rng(seed);
  std::lognormal_distribution<float> value(0.f, 1.5f);
  std::uniform_int_distribution<int32_t> calls(1, 9);
  auto put = [](std::string& s, auto v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); };
  std::string entries;
  int32_t n = 0;
  for (const auto& t : model.tensors()) {
    if (t.n_dims < 2 || (!complete && t.name.find("blk.0.attn_q") == 0)) continue;
    const int64_t nval = t.name == "token_embd.weight" ? t.ne[0] / 2 : t.ne[0];
    put(entries, static_cast<int32_t>(t.name.size()));
    entries += t.name;
    put(entries, calls(rng));
    put(entries, static_cast<int32_t>(nval));
    for (int64_t k = 0; k < nval; ++k) put(entries, value(rng));
    ++n;
  }
  std::string bytes;
  put(bytes, n);
  bytes += entries;
  const std::string dataset = "calibration.txt";
  put(bytes, int32_t{7});
  put(bytes, static_cast<int32_t>(dataset.size()));
  bytes += dataset;
  std::ofstream(out, std::ios::binary) << bytes;
}

// Every file type airlock writes whose quantizers take the weights, and Q8_0, whose do not.
const char* const kImatrixFileTypes[] = {"Q4_0",   "Q4_1",   "Q5_0",   "Q5_1",   "Q2_K",   "Q3_K_S",
                                         "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M",
                                         "Q6_K",   "IQ4_NL", "IQ4_XS", "Q8_0",   "IQ3_XS", "IQ3_S",
                                         "IQ3_M",  "IQ2_XXS", "IQ2_XS", "IQ2_S",  "IQ2_M",  "IQ3_XXS",
                                         "Q2_K_S", "IQ1_S",  "IQ1_M"};

class QuantizeReferenceImatrix : public QuantizeReference {};

TEST_P(QuantizeReferenceImatrix, SameTensorsAsLlamaQuantize) {
  const std::string ftype = GetParam();
  if (!reference_available())
    GTEST_SKIP() << "!!! REFERENCE QUANTIZER UNAVAILABLE: " << anchors::llama_cpp()
                 << "/llama-quantize missing or not runnable on this CPU; set AIRLOCK_ANCHORS. " << ftype
                 << " with an importance matrix was NOT compared. !!!";
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(std::string(s.name) + " " + ftype + " --imatrix");
    const auto src = dir_->path() / (std::string(s.name) + ".gguf");
    // The 1- and 2-bit types (IQ1_*, IQ2_*, Q2_K_S) and IQ3_XXS (IQ2_S attn_q/attn_k) need an entry for every
    // tensor they quantize to them (both quantizers refuse the partial matrix; ours is checked
    // here). Q2_K_S exempts token_embd, whose entry has the wrong length.
    const bool needs_all =
        ftype.rfind("IQ2", 0) == 0 || ftype.rfind("IQ1", 0) == 0 || ftype == "IQ3_XXS" || ftype == "Q2_K_S";
    const auto imatrix = dir_->path() / (std::string(s.name) + (needs_all ? "-complete" : "") + ".imatrix");
    if (!std::filesystem::exists(imatrix)) write_random_imatrix(*gguf::File::open(src), imatrix, 23, needs_all);
    if (needs_all) {
      const auto partial = dir_->path() / (std::string(s.name) + ".imatrix");
      if (!std::filesystem::exists(partial)) write_random_imatrix(*gguf::File::open(src), partial, 23, false);
      store::QuantizeOptions o;
      o.imatrix = partial;
      EXPECT_THROW(store::quantize_gguf(src, dir_->path() / "refused.gguf", ftype, o), Error);
      EXPECT_THROW(store::quantize_gguf(src, dir_->path() / "refused.gguf", ftype), Error);
      EXPECT_FALSE(std::filesystem::exists(dir_->path() / "refused.gguf"));
    }
    const auto theirs_path = dir_->path() / (std::string(s.name) + "-" + ftype + "-imat-ref.gguf");
    const auto ours_path = dir_->path() / (std::string(s.name) + "-" + ftype + "-imat-ours.gguf");
    ASSERT_NO_FATAL_FAILURE(reference_quantize(src, theirs_path, ftype, imatrix));
    store::QuantizeOptions options;
    options.imatrix = imatrix;
    store::quantize_gguf(src, ours_path, ftype, options);
    const auto ours = gguf::File::open(ours_path);
    const auto theirs = gguf::File::open(theirs_path);
    EXPECT_GT(expect_same_tensors(*ours, *theirs), 4);
    // The weights must have been used: without them some tensor comes out different (except for
    // Q8_0, whose quantizer has no use for them; the 2-bit types exist only with them).
    if (!needs_all) {
      const auto plain_path = dir_->path() / (std::string(s.name) + "-" + ftype + "-plain.gguf");
      store::quantize_gguf(src, plain_path, ftype);
      const auto plain = gguf::File::open(plain_path);
      int differing = 0;
      for (const auto& t : plain->tensors()) {
        const gguf::TensorInfo* o = ours->tensor(t.name);
        differing += o->type != t.type || o->nbytes != t.nbytes || std::memcmp(o->data, t.data, t.nbytes) != 0;
      }
      EXPECT_EQ(differing > 0, ftype != "Q8_0") << differing << " tensors differ from the plain quantization";
      std::filesystem::remove(plain_path);
    }
    for (const char* key : {"quantize.imatrix.entries_count", "quantize.imatrix.chunks_count"})
      EXPECT_EQ(ours->get_int(key), theirs->get_int(key)) << key;
    EXPECT_EQ(ours->get_string("quantize.imatrix.dataset"), theirs->get_string("quantize.imatrix.dataset"));
    std::filesystem::remove(theirs_path);
    std::filesystem::remove(ours_path);
  }
}

INSTANTIATE_TEST_SUITE_P(FileTypes, QuantizeReferenceImatrix, ::testing::ValuesIn(kImatrixFileTypes),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace airlock
