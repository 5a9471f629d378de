// Synthetic models: random-weight GGUF files with a real model's shapes, tensor type mix and a
// real-sized (synthetic but valid) tokenizer, for benchmarks and the built-in demo model.
#pragma once
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf.h"
#include "tensor/type_traits.h"

namespace airlock::synth {

enum class VocabKind { Llama3, Qwen2, Llama2Spm, Demo };

// Shapes and hyper-parameters as published in each model's config.json.
struct Preset {
  std::string name;
  std::string arch;  // general.architecture: "llama" or "qwen2"
  int64_t n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, n_ctx;
  float rope_theta, rms_eps;
  bool tied_output;
  bool qkv_bias;
  VocabKind vocab;
  // Llama 3 rope scaling (factor 0: none); written as the rope_freqs.weight tensor as
  // llama.cpp's converter does.
  float rope_scale_factor = 0, rope_low_freq_factor = 1, rope_high_freq_factor = 4;
  int64_t rope_original_ctx = 8192;
};

const std::vector<Preset>& presets();
// Throws airlock::Error naming the unknown preset and listing the known ones.
const Preset& find_preset(std::string_view name);

// A llama.cpp file type ("Q4_K_M", "F16", ...): the default tensor type and the general.file_type id.
struct FileType {
  std::string name;
  uint32_t ftype_id;
  TensorType default_type;
};
const std::vector<FileType>& file_types();
const FileType& find_file_type(std::string_view name);

struct Options {
  std::string preset = "demo";
  std::string type = "F16";
  uint64_t seed = 0;
  // Overrides for small test models; <= 0 keeps the preset's value. The demo preset's vocabulary
  // is learned from built-in text and cannot be resized.
  int64_t layers = 0, embd = 0, ff = 0, vocab = 0;
};

// How a tensor's values are drawn.
enum class Init { Normal, Ones, RopeFreqs };

struct TensorPlan {
  std::string name;
  uint32_t n_dims;
  std::array<int64_t, gguf::kMaxDims> ne{1, 1, 1, 1};
  TensorType type;
  Init init;
  float stddev;  // for Init::Normal: 1 / sqrt(fan_in)
  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
};

struct ModelPlan {
  Preset preset;  // with the overrides applied
  FileType file_type;
  std::vector<gguf::KeyValue> metadata;
  std::vector<TensorPlan> tensors;
  uint64_t data_bytes() const;
};

// Everything except the weights: metadata (tokenizer included) and the tensor list with
// llama.cpp's per-tensor type choice for the file type. Throws airlock::Error on bad options.
ModelPlan plan_model(const Options& options);

// The tensor type llama.cpp's quantizer picks for one tensor (llama_tensor_get_type's rules for
// the types listed in file_types()), including its fallbacks for rows not divisible by the block.
// i_layer/n_layer locate a per-layer tensor; has_output: the model has its own output.weight;
// n_gqa: query heads per kv head.
TensorType choose_type(const FileType& ft, const std::string& name, const std::array<int64_t, 4>& ne,
                       uint32_t n_dims, int64_t i_layer, int64_t n_layer, bool has_output,
                       int64_t n_gqa);

// Fills rows [row0, row0 + n_rows) of a tensor's float values. Deterministic: the values depend
// only on the seed, the tensor's name and the row, so tensors can be generated piece by piece.
void generate_rows(const ModelPlan& plan, const TensorPlan& t, uint64_t seed, int64_t row0,
                   int64_t n_rows, float* out);

// Generates, converts and writes the model tensor by tensor (memory stays at a few MB per
// tensor chunk). Writes to path + ".part" and renames on success. progress(i, n) is called after
// each tensor when given.
void write_model(const ModelPlan& plan, uint64_t seed, const std::filesystem::path& path,
                 const std::function<void(size_t, size_t)>& progress = {});

}  // namespace airlock::synth
