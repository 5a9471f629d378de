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
#include "tensor/quant_plan.h"  // FileType, choose_type: the per-tensor type rules
#include "tensor/type_traits.h"

namespace airlock::synth {

enum class VocabKind { Llama3, Qwen2, Llama2Spm, Demo, WordPiece };

// Shapes and hyper-parameters as published in each model's config.json.
struct Preset {
  std::string name;
  std::string arch;  // general.architecture: "llama", "qwen2" or "bert" (an encoder)
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

// Fills rows [row0, row0 + n_rows) of a tensor's float values. Deterministic: the values depend
// only on the seed, the tensor's name and the row, so tensors can be generated piece by piece.
void generate_rows(const ModelPlan& plan, const TensorPlan& t, uint64_t seed, int64_t row0,
                   int64_t n_rows, float* out);

// Generates, converts and writes the model tensor by tensor on n_threads threads (<= 0: one per
// physical core); memory stays at a few MB per thread. The bytes do not depend on n_threads. The
// file appears atomically (gguf::write_file). progress(i, n) is called after each tensor.
void write_model(const ModelPlan& plan, uint64_t seed, const std::filesystem::path& path, int n_threads = 0,
                 const std::function<void(size_t, size_t)>& progress = {});

}  // namespace airlock::synth
